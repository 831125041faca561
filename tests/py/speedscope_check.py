"""Check a speedscope file as speedscope's schema says
(https://www.speedscope.app/file-format-schema.json, src/lib/file-format-spec.ts
of speedscope), for the fields pcg-emit writes, and what its profiles must
mean; then print what the tests compare, one fact a line:

  profile TYPE NAME COUNT SELF   per profile: events or samples, the time
                                 the innermost frames held (the weights)
  self NAME FILE:LINE VALUE      per frame, all profiles added up
  total NAME FILE:LINE VALUE     per frame: its time on the stack, counted
                                 once however deep it recursed
  depth NAME N                   evented: the most frames of NAME open at once

Given a second argument, the schema file itself (speedscope's npm package
has it, dist/release/file-format-schema.json), the file is validated
against it too, by the few JSON Schema (draft-07) keywords it uses.

Exits 1 with a message on the first thing wrong."""
import json
import sys

SCHEMA = 'https://www.speedscope.app/file-format-schema.json'
UNITS = {'none', 'nanoseconds', 'microseconds', 'milliseconds', 'seconds', 'bytes'}


def fail(msg):
    sys.exit('speedscope_check: ' + msg)


def need(obj, key, types, where, optional=False):
    if key not in obj:
        if optional:
            return None
        fail('%s: no %r' % (where, key))
    v = obj[key]
    if not isinstance(v, types) or isinstance(v, bool):
        fail('%s: %r is %r' % (where, key, v))
    return v


def number(obj, key, where, optional=False):
    return need(obj, key, (int, float), where, optional)


def frames(f):
    shared = need(f, 'shared', dict, 'file')
    fr = need(shared, 'frames', list, 'shared')
    for i, x in enumerate(fr):
        w = 'frame %d' % i
        if not isinstance(x, dict):
            fail(w + ': not an object')
        need(x, 'name', str, w)
        need(x, 'file', str, w, True)
        number(x, 'line', w, True)
        number(x, 'col', w, True)
    return fr


def index(v, n, where):
    if not isinstance(v, int) or isinstance(v, bool) or not 0 <= v < n:
        fail('%s: frame %r not in the table of %d' % (where, v, n))
    return v


def evented(p, fr, w, selfs, totals, depth):
    evs = need(p, 'events', list, w)
    start, end = p['startValue'], p['endValue']
    stack, last, own = [], start, 0
    for i, ev in enumerate(evs):
        we = '%s: event %d' % (w, i)
        if not isinstance(ev, dict):
            fail(we + ': not an object')
        t = need(ev, 'type', str, we)
        at = number(ev, 'at', we)
        f = index(need(ev, 'frame', int, we), len(fr), we)
        if at < last or at > end:
            fail('%s: at %r after %r or past the end %r' % (we, at, last, end))
        if stack:
            selfs[stack[-1]] = selfs.get(stack[-1], 0) + at - last
            own += at - last
            for g in set(stack):
                totals[g] = totals.get(g, 0) + at - last
        last = at
        if t == 'O':
            stack.append(f)
            n = sum(1 for g in stack if fr[g]['name'] == fr[f]['name'])
            depth[fr[f]['name']] = max(depth.get(fr[f]['name'], 0), n)
        elif t == 'C':
            if not stack or stack[-1] != f:
                fail('%s: closes frame %d, the innermost open is %r' % (we, f, stack[-1:]))
            stack.pop()
        else:
            fail('%s: type %r' % (we, t))
    if stack:
        fail('%s: %d frames left open' % (w, len(stack)))
    return len(evs), own


def sampled(p, fr, w, selfs, totals):
    samples = need(p, 'samples', list, w)
    weights = need(p, 'weights', list, w)
    if len(samples) != len(weights):
        fail('%s: %d samples, %d weights' % (w, len(samples), len(weights)))
    for i, (s, x) in enumerate(zip(samples, weights)):
        ws = '%s: sample %d' % (w, i)
        if not isinstance(s, list) or not s:
            fail(ws + ': not a stack')
        for f in s:
            index(f, len(fr), ws)
        if not isinstance(x, (int, float)) or isinstance(x, bool) or x < 0:
            fail('%s: weight %r' % (ws, x))
        selfs[s[-1]] = selfs.get(s[-1], 0) + x
        for g in set(s):
            totals[g] = totals.get(g, 0) + x
    if sum(weights) > p['endValue'] - p['startValue']:
        fail(w + ': weights above endValue - startValue')
    return len(samples), sum(weights)


TYPES = {'object': dict, 'array': list, 'string': str, 'number': (int, float)}


def valid(v, s, root, where):
    """The first error of v against schema s, or None."""
    if '$ref' in s:
        node = root
        for part in s['$ref'].lstrip('#/').split('/'):
            node = node[part]
        err = valid(v, node, root, where)
        if err:
            return err
    if 'type' in s and (not isinstance(v, TYPES[s['type']]) or isinstance(v, bool)):
        return '%s: not a %s' % (where, s['type'])
    if 'const' in s and v != s['const']:
        return '%s: %r is not %r' % (where, v, s['const'])
    if 'enum' in s and v not in s['enum']:
        return '%s: %r not one of %r' % (where, v, s['enum'])
    if 'anyOf' in s:
        errs = [valid(v, x, root, where) for x in s['anyOf']]
        if all(errs):
            return '; '.join(errs)
    for k in s.get('required', ()):
        if k not in v:
            return '%s: no %r' % (where, k)
    for k, x in s.get('properties', {}).items():
        if isinstance(v, dict) and k in v:
            err = valid(v[k], x, root, where + '.' + k)
            if err:
                return err
    if 'items' in s and isinstance(v, list):
        for i, x in enumerate(v):
            err = valid(x, s['items'], root, '%s[%d]' % (where, i))
            if err:
                return err
    for k in set(s) - {'$ref', '$schema', 'type', 'const', 'enum', 'anyOf', 'required',
                       'properties', 'items', 'title', 'definitions'}:
        fail('the schema uses %r, which this checker does not know' % k)
    return None


def main():
    with open(sys.argv[1], encoding='utf-8') as fp:  # strict: UTF-8 only
        f = json.load(fp)
    if len(sys.argv) > 2:
        with open(sys.argv[2], encoding='utf-8') as fp:
            schema = json.load(fp)
        err = valid(f, schema, schema, 'file')
        if err:
            fail('against the schema: ' + err[:2000])
    if not isinstance(f, dict) or f.get('$schema') != SCHEMA:
        fail('$schema is not ' + SCHEMA)
    need(f, 'name', str, 'file', True)
    need(f, 'exporter', str, 'file', True)
    fr = frames(f)
    profiles = need(f, 'profiles', list, 'file')
    if not profiles:
        fail('no profile')
    active = need(f, 'activeProfileIndex', int, 'file', True)
    if active is not None and not 0 <= active < len(profiles):
        fail('activeProfileIndex %d of %d profiles' % (active, len(profiles)))
    selfs, totals, depth, out = {}, {}, {}, []
    for i, p in enumerate(profiles):
        w = 'profile %d' % i
        if not isinstance(p, dict):
            fail(w + ': not an object')
        t = need(p, 'type', str, w)
        name = need(p, 'name', str, w)
        if need(p, 'unit', str, w) not in UNITS:
            fail('%s: unit %r' % (w, p['unit']))
        if number(p, 'endValue', w) < number(p, 'startValue', w):
            fail(w + ': endValue before startValue')
        if t == 'evented':
            n, own = evented(p, fr, w, selfs, totals, depth)
        elif t == 'sampled':
            n, own = sampled(p, fr, w, selfs, totals)
        else:
            fail('%s: type %r' % (w, t))
        out.append('profile %s %s %d %d' % (t, name, n, own))
    for what, d in ('self', selfs), ('total', totals):
        for f_, v in d.items():
            x = fr[f_]
            out.append('%s %s %s:%s %d' % (what, x['name'], x.get('file', ''), x.get('line', ''), v))
    out += ['depth %s %d' % kv for kv in depth.items()]
    print('\n'.join(sorted(out)))


main()
