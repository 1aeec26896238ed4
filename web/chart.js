// The commune panel's chart, drawn by hand in SVG: weekly events as bars, weekly fatalities
// as a line, and each threshold rule as a dashed line brought to a weekly scale (a threshold
// of N events in D days is drawn at N·7/D per week, and its label says the original N and D).

import { el } from './dom.js';
import { t, levelLabel, formatNumber } from './i18n.js';

const WIDTH = 360;
const HEIGHT = 170;
const MARGIN = { top: 10, right: 30, bottom: 22, left: 30 };
const LEVEL_COLOURS = { vigilance: '#c9a400', alerte: '#e06c00', urgence: '#b00020' };

export function weeklyChart(weekly) {
  const weeks = weekly.weeks ?? [];
  const thresholds = weekly.thresholds ?? [];
  const innerWidth = WIDTH - MARGIN.left - MARGIN.right;
  const innerHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  // Only counts of events or fatalities share the bars' scale; a threshold on days with
  // events (or a surge rule, which has no fixed value) is listed under the chart instead.
  const weeklyThreshold = (rule) =>
    drawable(rule) ? (rule.value * 7) / rule.window_days : null;
  const maxEvents = Math.max(1, ...weeks.map((week) => week.events));
  const maxFatalities = Math.max(1, ...weeks.map((week) => week.fatalities));
  const eventScale = Math.max(
    maxEvents,
    ...thresholds.filter((rule) => rule.metric !== 'fatalities').map((rule) => weeklyThreshold(rule) ?? 0),
  );
  const fatalityScale = Math.max(
    maxFatalities,
    ...thresholds.filter((rule) => rule.metric === 'fatalities').map((rule) => weeklyThreshold(rule) ?? 0),
  );
  const step = innerWidth / Math.max(1, weeks.length);
  const y = (value, scale) => MARGIN.top + innerHeight - (value / scale) * innerHeight;

  const totalEvents = weeks.reduce((sum, week) => sum + week.events, 0);
  const totalFatalities = weeks.reduce((sum, week) => sum + week.fatalities, 0);
  const titleId = `chart-title-${Math.random().toString(36).slice(2)}`;
  const descId = `${titleId}-desc`;
  const svg = el('svg:svg', {
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    class: 'weekly-chart',
    role: 'img',
    'aria-labelledby': `${titleId} ${descId}`,
  });
  svg.append(
    el('svg:title', { id: titleId }, t('chart_title')),
    el('svg:desc', { id: descId }, t('chart_desc', {
      weeks: weeks.length,
      events: formatNumber(totalEvents),
      fatalities: formatNumber(totalFatalities),
    })),
  );
  // Axes: events on the left, fatalities on the right.
  svg.append(
    el('svg:line', { x1: MARGIN.left, x2: MARGIN.left, y1: MARGIN.top, y2: MARGIN.top + innerHeight, class: 'axis' }),
    el('svg:line', { x1: MARGIN.left, x2: WIDTH - MARGIN.right, y1: MARGIN.top + innerHeight, y2: MARGIN.top + innerHeight, class: 'axis' }),
    el('svg:text', { x: MARGIN.left - 4, y: MARGIN.top + 8, 'text-anchor': 'end', class: 'tick' }, String(Math.ceil(eventScale))),
    el('svg:text', { x: WIDTH - MARGIN.right + 4, y: MARGIN.top + 8, class: 'tick fatalities' }, String(Math.ceil(fatalityScale))),
  );
  weeks.forEach((week, index) => {
    const top = y(week.events, eventScale);
    const bar = el('svg:rect', {
      x: MARGIN.left + index * step + 0.5,
      y: top,
      width: Math.max(1, step - 1),
      height: MARGIN.top + innerHeight - top,
      class: 'bar',
    });
    bar.append(el('svg:title', {}, `${week.start}: ${week.events} ${t('chart_events')}, ${week.fatalities} ${t('chart_fatalities')}`));
    svg.append(bar);
  });
  if (weeks.length) {
    const points = weeks
      .map((week, index) => `${(MARGIN.left + (index + 0.5) * step).toFixed(1)},${y(week.fatalities, fatalityScale).toFixed(1)}`)
      .join(' ');
    svg.append(el('svg:polyline', { points, class: 'fatalities-line', fill: 'none' }));
    svg.append(
      el('svg:text', { x: MARGIN.left, y: HEIGHT - 6, class: 'tick' }, weeks[0].start),
      el('svg:text', { x: WIDTH - MARGIN.right, y: HEIGHT - 6, 'text-anchor': 'end', class: 'tick' }, weeks[weeks.length - 1].start),
    );
  }
  for (const rule of thresholds) {
    const value = weeklyThreshold(rule);
    if (value === null) continue;
    const scale = rule.metric === 'fatalities' ? fatalityScale : eventScale;
    const lineY = y(value, scale);
    const line = el('svg:line', {
      x1: MARGIN.left,
      x2: WIDTH - MARGIN.right,
      y1: lineY,
      y2: lineY,
      class: 'threshold',
      stroke: LEVEL_COLOURS[rule.level] ?? '#555',
      'data-rule': rule.rule,
    });
    line.append(el('svg:title', {}, thresholdLabel(rule)));
    svg.append(line);
  }
  return svg;
}

/** Whether a rule's threshold is drawn on the chart. */
export function drawable(rule) {
  return typeof rule.value === 'number' && rule.window_days > 0 && (rule.metric === 'events' || rule.metric === 'fatalities');
}

export function thresholdLabel(rule) {
  if (typeof rule.value !== 'number') {
    return t('chart_surge', { rule: rule.rule, level: levelLabel(rule.level) });
  }
  return t('chart_threshold', {
    rule: rule.rule,
    level: levelLabel(rule.level),
    value: formatNumber(rule.value),
    metric: t(`metric_${rule.metric}`),
    days: rule.window_days,
  });
}
