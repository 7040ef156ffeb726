// Sortable tables: a click (or Enter) on a header sorts the rows by that column, numerically
// when every cell is a number (a cell's data-sort attribute wins over its text); empty cells last.

function cellKey(row, col) {
  const cell = row.cells[col];
  if (!cell) return '';
  return cell.dataset.sort !== undefined ? cell.dataset.sort : cell.textContent.trim();
}

function compare(a, b, numeric) {
  if (a === '' || b === '') return a === b ? 0 : a === '' ? 1 : -1;
  if (numeric) return Number(a) - Number(b);
  return a.localeCompare(b, undefined, {numeric: true, sensitivity: 'base'});
}

export function sortTable(table, col, ascending) {
  const body = table.tBodies[0];
  const rows = Array.from(body.rows);
  const keys = new Map(rows.map((r) => [r, cellKey(r, col)]));
  const numeric = rows.every((r) => keys.get(r) === '' || !Number.isNaN(Number(keys.get(r))));
  const sign = ascending ? 1 : -1;
  rows.sort((a, b) => {
    const ka = keys.get(a);
    const kb = keys.get(b);
    if (ka === '' || kb === '') return compare(ka, kb, numeric); // empty last either way
    return sign * compare(ka, kb, numeric);
  });
  body.append(...rows);
  for (const th of table.tHead.rows[0].cells) th.removeAttribute('aria-sort');
  table.tHead.rows[0].cells[col].setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
}

export function initTables(root) {
  for (const table of root.querySelectorAll('table.sortable')) {
    if (!table.tHead || !table.tBodies.length) continue;
    Array.from(table.tHead.rows[0].cells).forEach((th, col) => {
      th.tabIndex = 0;
      th.title = 'sort by this column';
      const sort = () => sortTable(table, col, th.getAttribute('aria-sort') !== 'ascending');
      th.addEventListener('click', sort);
      th.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          sort();
        }
      });
    });
  }
}
