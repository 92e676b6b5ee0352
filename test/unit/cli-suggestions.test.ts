/** A mistyped option or subcommand, at any level of the CLI, gets a "did you mean" naming the real one. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runAirlockCli } from '../helpers/airlock-process.js';

const NEAR_MISSES: [string[], string][] = [
  [['image', 'mirror', '--from-dri', '/x', 'file://a:v1', 'file://b'], '--from-dir'],
  [['release', 'mirror', '--form', 'x'], '--from'],
  [['catalog', 'mirror', '--to-manifest', 'x'], '--to-manifests'],
  [['release', 'info', '--insecur', 'x'], '--insecure'],
  [['serve', '--listn', '127.0.0.1:0'], '--listen'],
  [['image', 'mirorr'], 'mirror'],
  [['imgae'], 'image'],
];

describe('CLI suggestions', () => {
  for (const [args, real] of NEAR_MISSES) {
    it(`airlock ${args.join(' ')} suggests ${real}`, async () => {
      const r = await runAirlockCli(args);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /^error: unknown (option|command) '/m);
      assert.ok(r.stderr.includes(`(Did you mean ${real}?)`), r.stderr);
      assert.doesNotMatch(r.stderr, /^\s+at /m);
    });
  }
});
