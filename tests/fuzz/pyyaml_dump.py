"""pyyaml_dump.py - prints yaml.safe_load's reading of YAML files in the
canonical form yaml_dump prints afc's, one line per file (see
tests/fuzz/pyyaml-diff.sh). afc's extra rules (duplicate keys, keys equal
once turned into strings, NUL in keys) are applied on top, so only real
differences show. Arguments: files, or @LIST; POS=1 prints node positions.
"""
import datetime
import os
import sys

import yaml

sys.setrecursionlimit(10000)


def canon(v, seen=()):
    if id(v) in seen:
        raise RecursionError('recursive structure')
    if v is None:
        return 'None'
    if v is True or v is False:
        return repr(v)
    if isinstance(v, int):
        return 'int:%d' % v
    if isinstance(v, float):
        return 'float:' + repr(v)
    if isinstance(v, str):
        return 'str:' + repr(v)
    if isinstance(v, datetime.datetime):
        return 'datetime:' + str(v)
    if isinstance(v, datetime.date):
        return 'date:' + str(v)
    if isinstance(v, bytes):
        return "bytes:b'" + v.hex() + "'"
    inner = seen + (id(v),)
    if isinstance(v, list):
        if v and all(isinstance(x, tuple) for x in v):
            return 'pairs[' + ', '.join('[%s, %s]' % (canon(a, inner), canon(b, inner))
                                        for a, b in v) + ']'
        return '[' + ', '.join(canon(x, inner) for x in v) + ']'
    if isinstance(v, set):
        return 'set{' + ', '.join(sorted(canon(x, inner) for x in v)) + '}'
    if isinstance(v, dict):
        return '{' + ', '.join('%s: %s' % (canon(k, inner), canon(x, inner))
                               for k, x in v.items()) + '}'
    raise TypeError(type(v))


class Strict(yaml.SafeLoader):
    """SafeLoader plus the rules afc adds."""

    def check_keys(self, node):
        seen, strs = set(), {}
        for k, _ in node.value:
            if k.tag == 'tag:yaml.org,2002:merge':
                continue
            key = '=' if k.tag == 'tag:yaml.org,2002:value' else self.construct_object(k)
            if isinstance(key, (list, dict, set)):
                continue
            if key in seen:
                raise yaml.YAMLError('duplicate key')
            seen.add(key)
            if str(key) in strs and strs[str(key)] != key:
                raise yaml.YAMLError('keys collide as strings')
            strs[str(key)] = key
            if isinstance(key, str) and '\0' in key:
                raise yaml.YAMLError('NUL in key')

    def flatten_mapping(self, node):
        # mappings that are only merged are checked too
        for k, v in node.value:
            if k.tag == 'tag:yaml.org,2002:merge':
                if v is node:
                    raise yaml.YAMLError('recursive merge')
                for m in (v.value if isinstance(v, yaml.SequenceNode) else [v]):
                    if isinstance(m, yaml.MappingNode):
                        self.check_keys(m)
        yaml.SafeLoader.flatten_mapping(self, node)

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            self.check_keys(node)
        d = yaml.SafeLoader.construct_mapping(self, node, deep)
        if len({str(k) for k in d}) != len(d):
            raise yaml.YAMLError('keys collide as strings')
        return d


def positions(n, out):
    kind = {'ScalarNode': 'S', 'SequenceNode': 'Q', 'MappingNode': 'M'}[type(n).__name__]
    out.append('%s@%d:%d' % (kind, n.start_mark.line + 1, n.start_mark.column + 1))
    if kind == 'Q':
        for x in n.value:
            positions(x, out)
    elif kind == 'M':
        for k, x in n.value:
            positions(k, out)
            positions(x, out)


def one(path, pos):
    try:
        with open(path, encoding='utf-8') as f:
            text = f.read()
        if pos:
            n = yaml.compose(text, Loader=yaml.SafeLoader)
            out = []
            if n is None:
                out.append('S@1:1')
            else:
                positions(n, out)
            return ' '.join(out)
        return canon(yaml.load(text, Loader=Strict))
    except Exception:  # any failure: PyYAML refuses the file
        return 'ERROR'


def flow_colon(path):
    """True when PyYAML takes a ':' with no space after it as a value
    indicator inside a flow collection, which libyaml does not."""
    with open(path, encoding='utf-8') as f:
        text = f.read()
    level = 0
    try:
        for tok in yaml.scan(text, Loader=yaml.SafeLoader):
            name = type(tok).__name__
            if name in ('FlowSequenceStartToken', 'FlowMappingStartToken'):
                level += 1
            elif name in ('FlowSequenceEndToken', 'FlowMappingEndToken'):
                level -= 1
            elif name == 'ValueToken' and level > 0:
                nxt = text[tok.end_mark.index:tok.end_mark.index + 1]
                if nxt not in ('', ' ', '\n', '\r'):
                    return True
    except yaml.YAMLError:
        pass
    return False


def main():
    if os.environ.get('FLOW_COLON'):
        for p in sys.argv[1:]:
            print('flow-colon' if flow_colon(p) else 'no')
        return
    pos = bool(os.environ.get('POS'))
    for a in sys.argv[1:]:
        paths = [a]
        if a.startswith('@'):
            with open(a[1:]) as f:
                paths = [line.rstrip('\n') for line in f if line.strip()]
        for p in paths:
            print(one(p, pos))
            sys.stdout.flush()


main()
