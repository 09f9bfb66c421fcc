import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dependencyWaves, findCycle, withDependencies } from '../../src/core/dependency-graph.js';

/** A graph as a lookup: each program's dependencies; a name that is not a key is not managed. */
function graph(edges: Record<string, string[]>) {
  return (name: string) => edges[name];
}

test('findCycle returns the path that comes back to where it began, or null', () => {
  assert.equal(findCycle('web', graph({ web: ['api'], api: ['db'], db: [] })), null);
  assert.deepEqual(findCycle('db', graph({ db: ['api'], api: ['db'] })), ['db', 'api', 'db']);
  assert.deepEqual(findCycle('api', graph({ api: ['api'] })), ['api', 'api']);
  // A cycle further down is named from where it starts.
  assert.deepEqual(findCycle('web', graph({ web: ['a'], a: ['b'], b: ['a'] })), ['a', 'b', 'a']);
  // A dependency that is not managed ends the path; it is no cycle.
  assert.equal(findCycle('web', graph({ web: ['gone'] })), null);
  // A diamond is no cycle.
  assert.equal(findCycle('a', graph({ a: ['b', 'c'], b: ['d'], c: ['d'], d: [] })), null);
});

test('withDependencies adds what the names depend on, directly or not, and only managed programs', () => {
  const lookup = graph({ web: ['api'], api: ['db', 'gone'], db: [], cache: [] });
  assert.deepEqual(withDependencies(['web'], lookup).sort(), ['api', 'db', 'web']);
  assert.deepEqual(withDependencies(['cache'], lookup), ['cache']);
});

test('dependencyWaves puts each program after everything it depends on, keeping the given order in a wave', () => {
  const lookup = graph({ web: ['api'], api: ['db'], db: [], cache: [], worker: ['db', 'cache'] });
  assert.deepEqual(dependencyWaves(['api', 'cache', 'db', 'web', 'worker'], lookup), [
    ['cache', 'db'],
    ['api', 'worker'],
    ['web'],
  ]);
  // Edges to programs outside the set do not hold anything back.
  assert.deepEqual(dependencyWaves(['web', 'worker'], lookup), [['web', 'worker']]);
  // A cycle (only a hand-edited state file can hold one) is cut, never looped on.
  assert.deepEqual(
    dependencyWaves(['a', 'b'], graph({ a: ['b'], b: ['a'] }))
      .flat()
      .sort(),
    ['a', 'b'],
  );
});
