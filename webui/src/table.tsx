/**
 * A sortable, filterable table whose rows are virtualised: only the rows in view (plus a margin)
 * are in the DOM, so 100,000 rows scroll and re-sort without a slow page. Keyboard: the column
 * headers are buttons (Enter/Space sorts), rows with a link are reached by Tab.
 */
import type { ComponentChildren } from 'preact';
import { useMemo, useRef, useState, useEffect } from 'preact/hooks';

export interface Column<T> {
  readonly key: string;
  readonly title: string;
  /** The value sorted and filtered by. */
  readonly value: (row: T) => string | number;
  readonly render?: (row: T) => ComponentChildren;
  readonly width?: string;
}

const ROW_PX = 32;
const MARGIN_ROWS = 10;

export function Table<T>(props: { rows: readonly T[]; columns: readonly Column<T>[]; rowKey: (row: T) => string; label: string; height?: number; initialSort?: string; filterPlaceholder?: string }) {
  const [sort, setSort] = useState<{ key: string; desc: boolean }>({ key: props.initialSort ?? props.columns[0]!.key, desc: false });
  const [filter, setFilter] = useState('');
  const [scroll, setScroll] = useState(0);
  const box = useRef<HTMLDivElement>(null);
  const height = props.height ?? 520;

  const shown = useMemo(() => {
    const f = filter.trim().toLowerCase();
    const words = f === '' ? [] : f.split(/\s+/);
    const rows = words.length === 0 ? [...props.rows] : props.rows.filter((r) => {
      const text = props.columns.map((c) => String(c.value(r))).join(' ').toLowerCase();
      return words.every((w) => text.includes(w));
    });
    const col = props.columns.find((c) => c.key === sort.key) ?? props.columns[0]!;
    const vals = new Map<T, string | number>();
    for (const r of rows) vals.set(r, col.value(r));
    rows.sort((a, b) => {
      const x = vals.get(a)!;
      const y = vals.get(b)!;
      const d = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
      return sort.desc ? -d : d;
    });
    return rows;
  }, [props.rows, props.columns, filter, sort]);

  useEffect(() => {
    if (box.current !== null && box.current.scrollTop > shown.length * ROW_PX) box.current.scrollTop = 0;
  }, [shown.length]);

  const first = Math.max(0, Math.floor(scroll / ROW_PX) - MARGIN_ROWS);
  const last = Math.min(shown.length, Math.ceil((scroll + height) / ROW_PX) + MARGIN_ROWS);
  const template = props.columns.map((c) => c.width ?? '1fr').join(' ');
  const id = props.label.toLowerCase().replace(/\W+/g, '-');

  return (
    <section class="table" aria-label={props.label}>
      <div class="table-tools">
        <label>
          <span class="sr">Filter {props.label}</span>
          <input type="search" placeholder={props.filterPlaceholder ?? `Filter ${props.label.toLowerCase()}…`} value={filter} onInput={(e) => setFilter((e.target as HTMLInputElement).value)} aria-controls={`${id}-rows`} />
        </label>
        <span class="count" aria-live="polite" data-testid={`${id}-count`}>
          {shown.length === props.rows.length ? `${props.rows.length} rows` : `${shown.length} of ${props.rows.length} rows`}
        </span>
      </div>
      <div role="table" aria-rowcount={shown.length + 1} aria-label={props.label}>
        <div role="row" class="thead" style={{ gridTemplateColumns: template }}>
          {props.columns.map((c) => (
            <span role="columnheader" aria-sort={sort.key === c.key ? (sort.desc ? 'descending' : 'ascending') : 'none'} key={c.key}>
              <button type="button" onClick={() => setSort((s) => ({ key: c.key, desc: s.key === c.key ? !s.desc : false }))}>
                {c.title}
                {sort.key === c.key ? (sort.desc ? ' ▼' : ' ▲') : ''}
              </button>
            </span>
          ))}
        </div>
        <div class="tbody" id={`${id}-rows`} ref={box} style={{ height: `${Math.min(height, Math.max(ROW_PX, shown.length * ROW_PX))}px` }} onScroll={(e) => setScroll((e.target as HTMLDivElement).scrollTop)}>
          <div style={{ height: `${shown.length * ROW_PX}px`, position: 'relative' }}>
            {shown.slice(first, last).map((r, i) => (
              <div role="row" aria-rowindex={first + i + 2} class="tr" key={props.rowKey(r)} data-key={props.rowKey(r)} style={{ gridTemplateColumns: template, top: `${(first + i) * ROW_PX}px` }}>
                {props.columns.map((c) => (
                  <span role="cell" key={c.key}>
                    {c.render !== undefined ? c.render(r) : String(c.value(r))}
                  </span>
                ))}
              </div>
            ))}
          </div>
        </div>
        {shown.length === 0 ? <p class="empty">Nothing to show.</p> : null}
      </div>
    </section>
  );
}
