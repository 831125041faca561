# Code renamed with code.replace(co_name=...), as numpy's
# array_function_dispatch makes every public function from one wrapper:
# cProfile keys on co_name and keeps them apart; so must pcg.


def implementation(x):
    return x + 1


def dispatch(name):
    def public_api(x):
        return implementation(x)
    if hasattr(public_api.__code__, "replace"):  # 3.8+
        public_api.__code__ = public_api.__code__.replace(co_name=name)
    return public_api


clip = dispatch("clip")
median = dispatch("median")
for i in range(3):
    clip(i)
for i in range(2):
    median(i)
