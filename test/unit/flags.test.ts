import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FlagError, type FlagSpec, parseDuration, parseFlags, usage } from '../../cli/flags.js';

const specs: FlagSpec[] = [
  { name: 'nats', type: 'string', required: true, help: 'url' },
  { name: 'port', type: 'int', default: 5050, help: 'port' },
  { name: 'ratio', type: 'number', help: 'a number' },
  { name: 'interval', type: 'duration', default: '1s', help: 'every' },
  { name: 'timeout', type: 'optional-duration', default: 'none', help: 'give up' },
  { name: 'demo', type: 'bool', default: false, help: 'demo' },
  { name: 'isolation', type: 'string', default: 'auto', choices: ['cgroups', 'posix', 'auto'], help: 'how' },
];

const throws = (argv: string[], re: RegExp): void => {
  try {
    parseFlags(argv, specs, 'x');
  } catch (e) {
    assert.instance(e, FlagError);
    assert.match((e as Error).message, re);
    return;
  }
  assert.unreachable(`expected ${argv.join(' ')} to be refused`);
};

test('--flag value and --flag=value both work; defaults apply; durations in ms', () => {
  const a = parseFlags(['--nats', 'nats://h:1', '--port=6000', '--interval', '250ms', '--demo'], specs, 'x');
  assert.equal(a.values, { nats: 'nats://h:1', port: 6000, interval: 250, demo: true, timeout: null, isolation: 'auto' });
  const b = parseFlags(['--nats=n', '--no-demo', '--timeout=2mins', '--ratio', '-0.5'], specs, 'x');
  assert.is(b.values.demo, false);
  assert.is(b.values.timeout, 120_000);
  assert.is(b.values.ratio, -0.5);
});

test('bad flags are refused with a message that says what is wrong', () => {
  throws(['--nats', 'n', '--bogus', '1'], /unknown flag --bogus/);
  throws(['--nats', 'n', '--prot', '1'], /unknown flag --prot/);
  throws(['--nats', 'n', '--port', 'abc'], /--port must be a whole number/);
  throws(['--nats', 'n', '--port'], /--port needs a value/);
  throws(['--nats', 'n', '--interval', 'soon'], /--interval is not valid/);
  throws(['--nats', 'n', '--isolation', 'docker'], /must be one of cgroups, posix, auto/);
  throws(['--port', '1'], /--nats is required/);
  throws(['--nats', 'a', '--nats', 'b'], /given more than once/);
  throws(['--nats', 'n', '-p', '1'], /unknown flag -p/);
});

test("Mesos's underscore spellings name the same flags (--no- too)", () => {
  const a = parseFlags(['--nats', 'n', '--allocation_interval', '2s', '--no-keep_offers'], [...specs, { name: 'allocation-interval', type: 'duration', help: 'x' }, { name: 'keep-offers', type: 'bool', default: true, help: 'x' }], 'x');
  assert.is(a.values['allocation-interval'], 2000);
  assert.is(a.values['keep-offers'], false);
  throws(['--nats', 'n', '--no_such_flag', '1'], /unknown flag --no_such_flag/);
});

test('--help wins over missing required flags', () => {
  assert.is(parseFlags(['--help'], specs, 'x').help, true);
  const u = usage('x', 'does x', specs);
  assert.match(u, /--nats STRING\s+url \(required\)/);
  assert.match(u, /--interval DURATION\s+every \(default: 1s\)/);
});

test('durations: Mesos style units and bare seconds', () => {
  assert.is(parseDuration('15secs'), 15_000);
  assert.is(parseDuration('10mins'), 600_000);
  assert.is(parseDuration('1.5h'), 5_400_000);
  assert.is(parseDuration('2'), 2000);
  assert.throws(() => parseDuration('5 fortnights'), /unknown time unit/);
});

test('one-letter bool flags: -i, -t, combined as -it; an unknown letter is refused', () => {
  const specs = [
    { name: 'interactive', short: 'i', type: 'bool' as const, default: false, help: 'stdin' },
    { name: 'tty', short: 't', type: 'bool' as const, default: false, help: 'a terminal' },
  ];
  assert.equal(parseFlags(['-i', 'x', '--', 'cat'], specs, 'task exec').values, { interactive: true, tty: false });
  assert.equal(parseFlags(['-it', 'x'], specs, 'task exec').values, { interactive: true, tty: true });
  assert.equal(parseFlags(['-t', '-i'], specs, 'task exec').positionals, []);
  assert.throws(() => parseFlags(['-ix'], specs, 'task exec'), /unknown flag -ix/);
  assert.throws(() => parseFlags(['-i', '--interactive'], specs, 'task exec'), /given more than once/);
  assert.match(usage('task exec', 's', specs), /-i, --interactive/);
});

test.run();
