# A recursion through a C builtin that drives a generator: size() calls
# sum(), which resumes a generator expression, which calls size() again.
# The profile folds it into a few contexts; after --drop-builtins the
# generator and size() must keep their calls and time on the stack.
class Tree:
    def __init__(self, d):
        self.kids = [Tree(d - 1), Tree(d - 1)] if d else []

    def size(self):
        return 1 + sum(k.size() for k in self.kids)


def main():
    tree = Tree(9)
    return sum(tree.size() for _ in range(3))


print(main())
