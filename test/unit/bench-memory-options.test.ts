// The memory bench's options as a user types them (`npm run bench -- memory ...`): checkpoint sizes that
// must increase, the worker's sticky-cache setting (a number or auto), and the latency samples it needs
// room for; plus the two readings it takes from the worker: a Prometheus sum and a nearest-rank percentile.
import { describe, expect, it } from 'vitest';
import { metricSum, parseMemoryOptions, percentile } from '../../bench/memory-options';

describe('npm run bench -- memory options', () => {
  it('defaults to checkpoints at 10,000 and 50,000 open loans with the worker left to its own cache setting', () => {
    const options = parseMemoryOptions([]);
    expect(options.sizes).toEqual([10_000, 50_000]);
    expect(options.maxCached).toBeUndefined();
    expect(options.heapMb).toBeUndefined();
    expect(options).toMatchObject({ concurrency: 50, window: 1000, samples: 100, settleSeconds: 30, temporal: 'dev', json: false });
  });

  it('takes checkpoints, a cache size or auto, and a heap limit', () => {
    expect(parseMemoryOptions(['--sizes', '1000, 2500,5000']).sizes).toEqual([1000, 2500, 5000]);
    expect(parseMemoryOptions(['--max-cached', '500']).maxCached).toBe(500);
    expect(parseMemoryOptions(['--max-cached', 'auto']).maxCached).toBe('auto');
    expect(parseMemoryOptions(['--heap-mb', '16384']).heapMb).toBe(16384);
    expect(parseMemoryOptions(['--settle', '0']).settleSeconds).toBe(0);
  });

  it.each([
    [['--sizes', '5000,1000'], '--sizes must increase (got "5000,1000")'],
    [['--sizes', '10k'], '--sizes must be a whole number >= 1 (got "10k")'],
    [['--max-cached', '0'], '--max-cached must be a whole number >= 1 (got "0")'],
    [['--max-cached', 'sdk'], '--max-cached must be a whole number >= 1 (got "sdk")'],
    [['--heap-mb', '64'], '--heap-mb must be a whole number >= 256 (got "64")'],
    [['--settle', 'soon'], '--settle must be a whole number >= 0 (got "soon")'],
    [['--temporal', 'cloud'], '--temporal must be dev or cluster (got "cloud")'],
    [['--sizes', '100', '--samples', '60'], '--samples 60 needs at least 120 loans at the last checkpoint'],
  ])('refuses %j naming the option', (argv, message) => {
    expect(() => parseMemoryOptions(argv)).toThrow(message);
  });

  it('sums a metric over its label sets and ignores other metrics and comments', () => {
    const text = [
      '# HELP temporal_sticky_cache_size Current number of cached workflows',
      'temporal_sticky_cache_size{task_queue="a"} 1500',
      'temporal_sticky_cache_size{task_queue="b"} 2',
      'temporal_sticky_cache_size_total 7',
      'temporal_sticky_cache_miss{task_queue="a"} 3',
    ].join('\n');
    expect(metricSum(text, 'temporal_sticky_cache_size')).toBe(1502);
    expect(metricSum(text, 'temporal_sticky_cache_miss')).toBe(3);
    expect(metricSum(text, 'temporal_workflow_task_replay_latency_count')).toBeUndefined();
  });

  it('reads percentiles by nearest rank', () => {
    const xs = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(xs, 0.5)).toBe(50);
    expect(percentile(xs, 0.99)).toBe(99);
    expect(percentile([7], 0.99)).toBe(7);
    expect(percentile([], 0.5)).toBeNaN();
  });
});
