// The view for browsers without WebGL2 (or a server without MapLibre installed): the same
// data as sortable tables, so that the page is never blank.

import { el, replace } from './dom.js';
import { t, formatDay, formatNumber } from './i18n.js';

const LEVEL_RANK = { vigilance: 1, alerte: 2, urgence: 3 };

function sortableTable(id, columns, rows) {
  let sortColumn = 0;
  let descending = false;
  const table = el('table', { id });
  const render = () => {
    const sorted = [...rows].sort((a, b) => {
      const left = columns[sortColumn].key(a);
      const right = columns[sortColumn].key(b);
      const order = typeof left === 'number' ? left - right : String(left).localeCompare(String(right));
      return descending ? -order : order;
    });
    replace(table,
      el('thead', {}, el('tr', {}, ...columns.map((column, index) => el('th', {
        scope: 'col',
        'aria-sort': index === sortColumn ? (descending ? 'descending' : 'ascending') : 'none',
      }, el('button', {
        type: 'button',
        onclick: () => {
          descending = index === sortColumn ? !descending : false;
          sortColumn = index;
          render();
        },
      }, column.label))))),
      el('tbody', {}, ...sorted.map((row) => el('tr', {}, ...columns.map((column) => el('td', {}, column.text(row)))))));
  };
  render();
  return table;
}

export function showTables(container, { reason, state, levelLabel, selectCommune }) {
  const levels = new Map();
  for (const warning of state.warnings) {
    const properties = warning.properties;
    if (properties.zone_level !== 'commune') continue;
    if ((LEVEL_RANK[properties.level] ?? 0) > (LEVEL_RANK[levels.get(properties.zone)] ?? 0)) {
      levels.set(properties.zone, properties.level);
    }
  }
  const warnings = sortableTable('table-warnings', [
    { label: t('col_level'), key: (w) => -(LEVEL_RANK[w.properties.level] ?? 0), text: (w) => levelLabel(w.properties.level) },
    { label: t('col_zone'), key: (w) => w.properties.zone_name, text: (w) => w.properties.zone_name },
    { label: t('col_rule'), key: (w) => w.properties.rule, text: (w) => w.properties.rule },
    { label: t('col_since'), key: (w) => w.properties.since, text: (w) => formatDay(w.properties.since) },
  ], state.warnings);
  const communes = sortableTable('table-communes', [
    {
      label: t('col_commune'),
      key: (c) => c.properties.name,
      text: (c) => el('button', { type: 'button', onclick: () => selectCommune(c.properties.pcode) }, c.properties.name),
    },
    { label: t('col_cercle'), key: (c) => c.properties.cercle_name ?? '', text: (c) => c.properties.cercle_name ?? '' },
    { label: t('col_events'), key: (c) => c.properties.events_30d, text: (c) => formatNumber(c.properties.events_30d) },
    { label: t('col_fatalities'), key: (c) => c.properties.fatalities_30d, text: (c) => formatNumber(c.properties.fatalities_30d) },
    {
      label: t('col_warning'),
      key: (c) => -(LEVEL_RANK[levels.get(c.properties.pcode)] ?? 0),
      text: (c) => (levels.has(c.properties.pcode) ? levelLabel(levels.get(c.properties.pcode)) : ''),
    },
  ], state.communes);
  replace(container,
    el('p', { class: 'notice', id: 'table-notice' }, t(reason)),
    el('h2', {}, t('warnings')),
    warnings,
    el('h2', {}, t('table_communes')),
    communes);
}
