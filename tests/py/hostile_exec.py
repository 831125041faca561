# exec'd and eval'd code: functions defined in "<string>".
def main():
    ns = {}
    exec('def h(x):\n    return x + 1\n', ns)
    for i in range(4):
        ns['h'](i)
    n = 0
    for i in range(5):
        n += eval('(lambda y: y * 2)(1)')
    print('EXPECT h 4')
    print('EXPECT lambda 5')
    print(n)


main()
