"""What speedscope showed, for tests/formats.bats' browser test.

  serve DIR PORTFILE SECONDS   serve DIR over http on 127.0.0.1 (a free port,
                               written to PORTFILE) for SECONDS at most
  sandwich DOM CHECK NAME...   the rows of speedscope's sandwich table in DOM
                               (chromium --dump-dom) for each NAME give the
                               total and self that speedscope_check.py's
                               output CHECK says, as speedscope rounds them
  png FILE                     FILE is a PNG screenshot where something was
                               drawn in colour: prints WIDTH HEIGHT SHARE,
                               SHARE the part of its pixels not grey
"""
import functools
import html
import http.server
import re
import struct
import sys
import threading
import zlib


def serve(d, portfile, seconds):
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *a):
            pass
    srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(Quiet, directory=d))
    with open(portfile + '.tmp', 'w') as fp:
        fp.write('%d\n' % srv.server_address[1])
    import os
    os.rename(portfile + '.tmp', portfile)
    threading.Timer(float(seconds), srv.shutdown).start()
    srv.serve_forever()


UNIT = {'ns': 1, 'µs': 1e3, 'us': 1e3, 'ms': 1e6, 's': 1e9, 'min': 60e9}


def ns(text):
    m = re.match(r'\s*([0-9.]+)\s*(ns|µs|us|ms|s|min)\b', text)
    if not m:
        sys.exit('speedscope_view: not a time: %r' % text)
    return float(m.group(1)) * UNIT[m.group(2)]


def sandwich(dom, check, names):
    text = open(dom, encoding='utf-8').read()
    rows = {}
    for tr in re.findall(r'<tr\b[^>]*>(.*?)</tr>', text, re.S):
        cells = re.findall(r'<td\b[^>]*>(.*?)</td>', tr, re.S)
        if len(cells) != 3:
            continue
        name = html.unescape(re.sub(r'<[^>]*>', '', cells[2])).strip()
        total = re.sub(r'<[^>]*>', ' ', cells[0])
        own = re.sub(r'<[^>]*>', ' ', cells[1])
        rows[name] = (ns(total), ns(own))
    want = {}
    for line in open(check, encoding='utf-8'):
        t = line.split()
        if t[0] in ('self', 'total'):
            want.setdefault(t[1], {})[t[0]] = int(t[-1])
    bad = 0
    for name in names:
        if name not in rows:
            print('speedscope shows no row for %s (rows: %s)' % (name, ', '.join(sorted(rows))[:400]))
            bad = 1
            continue
        got = dict(zip(('total', 'self'), rows[name]))
        for what in 'total', 'self':
            w, g = want[name][what], got[what]
            # speedscope shows 2 decimals of the unit it picks: 0.5 % or 0.01 of it
            if abs(w - g) > max(0.005 * w, 0.006 * UNIT_OF(w)):
                print('%s %s: speedscope shows %.0f ns, the file holds %d' % (name, what, g, w))
                bad = 1
        print('%s: total %.0f self %.0f (file %d %d)' % (name, got['total'], got['self'],
                                                      want[name]['total'], want[name]['self']))
    sys.exit(bad)


def UNIT_OF(v):
    return 1e9 if v >= 1e9 else 1e6 if v >= 1e6 else 1e3 if v >= 1e3 else 1


def png(path):
    data = open(path, 'rb').read()
    if data[:8] != b'\x89PNG\r\n\x1a\n':
        sys.exit('speedscope_view: %s: not a PNG' % path)
    pos, idat = 8, b''
    while pos < len(data):
        n, kind = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b'IHDR':
            w, h, depth, colour, _, _, lace = struct.unpack('>IIBBBBB', body)
        elif kind == b'IDAT':
            idat += body
        pos += 12 + n
    if depth != 8 or colour not in (2, 6) or lace:
        sys.exit('speedscope_view: %s: not 8-bit RGB(A), progressive' % path)
    bpp = 3 if colour == 2 else 4
    raw, stride = zlib.decompress(idat), w * bpp
    prev, coloured = bytearray(stride), 0
    for y in range(h):
        f, row = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = row[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1:
                row[i] = (row[i] + a) & 255
            elif f == 2:
                row[i] = (row[i] + b) & 255
            elif f == 3:
                row[i] = (row[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                row[i] = (row[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        for x in range(0, stride, bpp):
            r, g, b_ = row[x:x + 3]
            coloured += max(r, g, b_) - min(r, g, b_) > 24
        prev = row
    print(w, h, '%.3f' % (coloured / (w * h)))


if __name__ == '__main__':
    cmd = sys.argv[1]
    if cmd == 'serve':
        serve(*sys.argv[2:5])
    elif cmd == 'sandwich':
        sandwich(sys.argv[2], sys.argv[3], sys.argv[4:])
    elif cmd == 'png':
        png(sys.argv[2])
    else:
        sys.exit(__doc__)
