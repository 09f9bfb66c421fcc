import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatFields, formatTable, stripAnsi, visibleWidth } from '../../src/cli/output/table.js';

const RED = (text: string) => `\u001b[31m${text}\u001b[39m`;

test('columns are as wide as their widest cell; numbers align right; no trailing spaces', () => {
  const text = formatTable(
    [{ header: 'NAME' }, { header: 'PID', align: 'right' }, { header: 'STATUS' }],
    [
      ['web', '12', 'online'],
      ['worker-long', '12345', 'errored'],
    ],
  );
  assert.equal(
    text,
    [
      'NAME           PID  STATUS',
      'web             12  online',
      'worker-long  12345  errored',
      '',
    ].join('\n'),
  );
});

test('colour codes do not count towards the width, so coloured and plain rows line up', () => {
  const text = formatTable(
    [{ header: 'S' }, { header: 'N', align: 'right' }],
    [
      [RED('online'), '1'],
      ['stopped', '22'],
    ],
  );
  const lines = stripAnsi(text).split('\n');
  assert.deepEqual(lines, ['S         N', 'online    1', 'stopped  22', '']);
  assert.ok(text.includes(RED('online')), 'the colours are kept');
});

test('wide characters count as two columns; newlines and tabs in a cell become spaces', () => {
  assert.equal(visibleWidth('日本'), 4);
  assert.equal(visibleWidth(RED('abc')), 3);
  assert.equal(visibleWidth('e\u0301'), 1);
  const text = formatTable(
    [{ header: 'A' }, { header: 'B' }],
    [
      ['日本', 'x'],
      ['a\nb', 'y\tz'],
    ],
  );
  assert.equal(text, ['A     B', '日本  x', 'a b   y z', ''].join('\n'));
});

test('headerless tables, indent, and styled headers', () => {
  assert.equal(
    formatTable([{ header: 'LONG HEADER' }, { header: '' }], [['a', 'b']], {
      isHeaderless: true,
      indent: 2,
    }),
    '  a  b\n',
  );
  const styled = formatTable([{ header: 'H' }], [['v']], { styleHeader: RED });
  assert.equal(styled, `${RED('H')}\nv\n`);
});

test('an empty table is its header line', () => {
  assert.equal(formatTable([{ header: 'NAME' }, { header: 'PID' }], []), 'NAME  PID\n');
});

test('fields align their values after the longest label', () => {
  assert.equal(
    formatFields(
      [
        ['cwd', '/srv'],
        ['restarts', '3'],
      ],
      { indent: 2 },
    ),
    '  cwd       /srv\n  restarts  3\n',
  );
});
