"""Programs of the shapes that make cycles in a merged call graph.

  shapes.py SHAPE   with SHAPE one of: dispatch visitor middleware mutual
                    generators threads

dispatch: a pluggy-like hook caller whose plugins call hooks again;
visitor: an ast.NodeVisitor (visit -> visit_X -> generic_visit -> visit);
middleware: a Django-like chain of middlewares wrapped in one inner();
mutual: is_even/is_odd and a recursive-descent parser;
generators: generators pulling from each other, alternately nested;
threads: dispatch and mutual recursion in two worker threads and main.
"""
import ast
import sys
import threading


# dispatch ------------------------------------------------------------------
class Hook:
    def __init__(self, name, impls):
        self.name, self.impls = name, impls

    def __call__(self, **kw):
        return hookexec(self, kw)


def hookexec(hook, kw):
    return multicall(hook.impls, kw)


def multicall(impls, kw):
    return [impl(**kw) for impl in impls]


def plugin_collect(n):
    if n > 0:
        return sum(HOOKS['runtest'](n=n - 1)) + 1
    return 1


def plugin_runtest(n):
    if n > 1:
        HOOKS['collect'](n=n - 2)
    return n


def plugin_report(n):
    return len(str(n))


HOOKS = {
    'collect': Hook('collect', [plugin_collect, plugin_report]),
    'runtest': Hook('runtest', [plugin_runtest, plugin_collect]),
}


def dispatch():
    for n in range(6):
        HOOKS['collect'](n=n)


# visitor -------------------------------------------------------------------
class Counter(ast.NodeVisitor):
    def __init__(self):
        self.n = 0

    def visit_FunctionDef(self, node):
        self.n += 1
        self.generic_visit(node)

    def visit_Call(self, node):
        self.n += 1
        self.generic_visit(node)


def visitor():
    with open(__file__) as f:
        tree = ast.parse(f.read())
    for _ in range(2):
        Counter().visit(tree)


# middleware ----------------------------------------------------------------
def wrap(get_response):
    def inner(request):
        return get_response(request)
    return inner


class Middleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request + [self])


class Auth(Middleware):
    pass


class Session(Middleware):
    pass


def view(request):
    return len(request)


def middleware():
    handler = wrap(view)
    for cls in (Middleware, Auth, Session, Middleware):
        handler = wrap(cls(handler))
    for _ in range(5):
        handler([])


# mutual --------------------------------------------------------------------
def is_even(n):
    return True if n == 0 else is_odd(n - 1)


def is_odd(n):
    return False if n == 0 else is_even(n - 1)


def expr(toks):
    v = term(toks)
    while toks and toks[0] == '+':
        toks.pop(0)
        v += term(toks)
    return v


def term(toks):
    v = atom(toks)
    while toks and toks[0] == '*':
        toks.pop(0)
        v *= atom(toks)
    return v


def atom(toks):
    t = toks.pop(0)
    if t == '(':
        v = expr(toks)
        toks.pop(0)
        return v
    return int(t)


def mutual():
    for n in range(12):
        is_even(n)
    for _ in range(3):
        expr(list('(1+2)*(3+(4*5))+6'))


# generators ----------------------------------------------------------------
def source(n):
    for i in range(n):
        yield i


def evens(it):
    for x in it:
        if x % 2 == 0:
            yield x


def plus_one(it):
    for x in it:
        yield x + 1


def generators():
    for _ in range(3):
        sum(plus_one(evens(plus_one(evens(source(40))))))


# threads -------------------------------------------------------------------
def threads():
    ts = [threading.Thread(target=dispatch), threading.Thread(target=mutual)]
    for t in ts:
        t.start()
    mutual()
    for t in ts:
        t.join()


if __name__ == '__main__':
    {'dispatch': dispatch, 'visitor': visitor, 'middleware': middleware,
     'mutual': mutual, 'generators': generators, 'threads': threads}[sys.argv[1]]()
