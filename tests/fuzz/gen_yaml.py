"""gen_yaml.py N SEED DIR - writes N random YAML documents to DIR (and their
paths to DIR/list) for tests/fuzz/pyyaml-diff.sh: nested block and flow
collections, scalars at the edges of PyYAML's resolver rules, tags,
anchors, aliases and merge keys, and a share of byte-level mutations."""
import os
import random
import sys

SCALARS = [
    '1', '-1', '+1', '0', '00', '07', '08', '0o7', '0x1f', '0xG', '0b101', '0b2', '1_000', '_1',
    '1:30', '1:60', '-1:30:15', '1:30.5', '1.5', '1.', '.5', '-.5', '1e3', '1.0e3', '1.0e+3',
    '1.0E-3', '.inf', '-.inf', '+.Inf', '.nan', '.NaN', 'yes', 'No', 'ON', 'oFF', 'true', 'False',
    'y', 'n', '~', 'null', 'Null', 'NULL', 'nul', '2024-01-02', '2024-1-2', '2024-01-02 03:04:05',
    '2024-01-02T03:04:05Z', '2024-01-02t3:04:05.5+01', '2024-01-02 03:04:05 -05:30', '2024-02-30',
    '2023-02-29 01:02:03', '2024-01-02 03:04:05+24:00', 'abc', 'a b', 'a:b', 'http://x', '"quoted"',
    "'single'", '"1"', "'yes'", '"\\x41\\u00e9"', '!!str 1', '!!int "12"', '!!int 1.5',
    '!!float "1e3"', '!!float x', '!!bool "on"', '!!bool 1', '!!null x', '!!timestamp 2024-1-2',
    '!!binary aGk=', '!!binary "a"', '! 1', '! "1"', '!foo x', '=', '<<', '"<<"', '"="', '',
    '12345678901234567890', '-9223372036854775809', '0x7fffffffffffffff', '0x8000000000000000',
    '1_2:3_0', '6.8523015e+5', '685.230_15e+03', '190:20:30.15', '-0', '+0.0', '-0.0', '1e', '0:0',
    '2001-12-14 21:59:43.10', 'caf\u00e9', '"tab\\there"',
]
BLOCK_SCALARS = ['|\n{pad}line one\n{pad}line two', '>-\n{pad}folded\n{pad}text']
KEYS = ['a', 'b', 'c', '1', '1.0', 'true', 'yes', '~', 'null', '"a"', '"1"', '2024-01-02',
        '"2024-01-02"', '=', 'x y', '0x1', '!!binary aGk=', '!!str 1', '? [k]']
MUTATIONS = [' ', '\t', ':', '-', '#', '"', "'", '[', ']', '{', '}', '\n', '&', '*', '!', '|',
             '?', ',', '%', '@', '\u00e9', '\r']


class Gen:
    def __init__(self, rnd):
        self.r = rnd
        self.done = []  # anchors whose node is complete: aliases never recurse
        self.n = 0

    def anchor(self):
        if self.r.random() < 0.15:
            self.n += 1
            return 'a%d' % self.n
        return None

    def alias(self):
        return '*' + self.r.choice(self.done)

    def merge_value(self):
        if self.r.random() < 0.6:
            return self.alias()
        return '[' + ', '.join(self.alias() for _ in range(self.r.randint(1, 3))) + ']'

    def flow(self, depth):
        a = self.anchor()
        pre = '&%s ' % a if a else ''
        r = self.r.random()
        if self.done and r < 0.1:
            return self.alias()
        if depth > 3 or r < 0.55:
            out = pre + self.r.choice(SCALARS)
        elif r < 0.75:
            out = pre + '[' + ', '.join(self.flow(depth + 1)
                                        for _ in range(self.r.randint(0, 3))) + ']'
        else:
            items = []
            for _ in range(self.r.randint(0, 3)):
                k = self.r.choice(KEYS[:-1] + ['<<'])
                if k == '<<':
                    if not self.done:
                        continue
                    items.append('<<: ' + self.merge_value())
                else:
                    items.append('%s: %s' % (k, self.flow(depth + 1)))
            out = pre + '{' + ', '.join(items) + '}'
        if a:
            self.done.append(a)
        return out

    def block(self, depth, indent):
        """A value after 'key:' or '- ': inline text, or a newline and a block."""
        r = self.r.random()
        if depth > 3 or r < 0.45:
            return ' ' + self.flow(depth)
        pad = ' ' * (indent + 2)
        if r < 0.52:
            return ' ' + self.r.choice(BLOCK_SCALARS).format(pad=pad)
        a = self.anchor()
        out = (' &%s' % a) if a else ''
        if r < 0.75:
            for _ in range(self.r.randint(1, 3)):
                out += '\n' + pad + '-' + self.block(depth + 1, indent + 2)
        else:
            for _ in range(self.r.randint(1, 3)):
                k = self.r.choice(KEYS + ['<<'])
                if k == '<<':
                    if not self.done:
                        continue
                    out += '\n' + pad + '<<: ' + self.merge_value()
                elif k.startswith('?'):
                    out += '\n' + pad + k + '\n' + pad + ':' + self.block(depth + 1, indent + 2)
                else:
                    out += '\n' + pad + k + ':' + self.block(depth + 1, indent + 2)
        if a:
            self.done.append(a)
        return out


def document(rnd):
    g = Gen(rnd)
    doc = ''.join('k%d:%s\n' % (i, g.block(0, 0)) for i in range(rnd.randint(1, 3)))
    for _ in range(rnd.choice([0, 0, 0, 1, 1, 2])):
        pos = rnd.randrange(len(doc))
        doc = doc[:pos] + rnd.choice(MUTATIONS) + doc[pos + 1:]
    return doc


def main():
    n, seed, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    rnd = random.Random(seed)
    os.makedirs(out, exist_ok=True)
    paths = []
    for i in range(n):
        p = os.path.join(out, '%06d.yaml' % i)
        with open(p, 'w', encoding='utf-8', newline='') as f:
            f.write(document(rnd))
        paths.append(p)
    with open(os.path.join(out, 'list'), 'w') as f:
        f.write('\n'.join(paths) + '\n')


main()
