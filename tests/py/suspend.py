# A generator suspended while its consumer sleeps: the time suspended is not
# the generator's.  Prints the seconds slept.
import time

PAUSE = 0.05


def gen():
    for i in range(4):
        yield i


def main():
    for x in gen():
        time.sleep(PAUSE)
    print(4 * PAUSE)


main()
