/* What the widget knows about particular demos, beyond the catalog:
 * how to name their lanes and which lines deserve attention.
 *
 * A demo that is not listed here still works: its lanes are "task 0",
 * "task 1"… and appear as the tasks start.
 */

const range = (count) => Array.from({ length: Math.max(0, count | 0) }, (_, index) => index);

const BLOCKED = /^loop blocked for (\d+(?:\.\d+)?) s/;

const DEMOS = {
  sleep: {
    lanes: (params) => range(params.tasks).map((index) => `task ${index}`),
  },
  weather: {
    // Task i asks for cities[i]: a lane named after its city reads better.
    lanes: (params) => (Array.isArray(params.cities) ? [...params.cities] : []),
  },
  order: {
    // Both versions take the 20 ms their last sleep takes: which one "was
    // faster" is noise, not a finding. What they teach is the order of lines.
    compare: false,
    // Its lines all print within a few milliseconds: "[0.00 s]" on each would hide their order.
    time: (t) => `${(t * 1000).toFixed(1)} ms`,
  },
  blocking: {
    // The workers come first; the heartbeat watching the loop is created last.
    lanes: (params) => [...range(params.tasks).map((index) => `task ${index}`), "heartbeat"],
    warning(params, task, text) {
      const match = BLOCKED.exec(text);
      if (!match || task !== params.tasks) return null;
      return { late: Number(match[1]) };
    },
  },
};

/** Lane names known before any task starts, from the run's normalized params. */
export function laneNames(demo, params) {
  const lanes = DEMOS[demo]?.lanes;
  try {
    return lanes ? lanes(params || {}) : [];
  } catch {
    return [];
  }
}

export function laneName(names, index) {
  return names[index] ?? `task ${index}`;
}

/** Whether the widget may say which version was faster (false where both take the same time by design). */
export function comparesSpeed(demo) {
  return DEMOS[demo]?.compare !== false;
}

/** How the console writes a line's time for this demo, or null for the usual seconds. */
export function consoleTime(demo) {
  return DEMOS[demo]?.time ?? null;
}

/**
 * A printed line that reports trouble (the heartbeat seeing a blocked loop):
 * { late: seconds } or null.
 */
export function warningOf(demo, params, task, text) {
  const warning = DEMOS[demo]?.warning;
  return warning && params ? warning(params, task, text) : null;
}
