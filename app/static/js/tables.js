/*
 * Sorting for tables marked data-sortable that are shown whole (lists that page sort on the server).
 * Each column header becomes a button, except one marked data-nosort (a column without a visible name, such as
 * the actions, would be an empty button); a cell's data-sort value, when present, sorts instead of its text.
 * aria-sort tells screen-reader users which column is sorted and how.
 */
(function () {
  'use strict';

  function cellValue(row, index) {
    var cell = row.cells[index];
    if (!cell) {
      return '';
    }
    return cell.hasAttribute('data-sort') ? cell.getAttribute('data-sort') : cell.textContent.trim();
  }

  function compare(a, b) {
    var na = Number(a.replace(/\./g, '').replace(',', '.').replace(/[^0-9.-]/g, ''));
    var nb = Number(b.replace(/\./g, '').replace(',', '.').replace(/[^0-9.-]/g, ''));
    if (a !== '' && b !== '' && !isNaN(na) && !isNaN(nb) && /\d/.test(a) && /\d/.test(b) && !/^\d{4}-/.test(a)) {
      return na - nb;
    }
    return a.localeCompare(b, document.documentElement.lang || 'nl');
  }

  function makeSortable(table) {
    var body = table.tBodies[0];
    var headers = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(headers, function (th, index) {
      if (th.hasAttribute('data-nosort')) {
        return;
      }
      var button = document.createElement('button');
      button.type = 'button';
      button.className = 'sort-button';
      while (th.firstChild) {
        button.appendChild(th.firstChild);
      }
      th.appendChild(button);
      th.setAttribute('aria-sort', 'none');
      button.addEventListener('click', function () {
        var ascending = th.getAttribute('aria-sort') !== 'ascending';
        Array.prototype.forEach.call(headers, function (other) {
          if (other.hasAttribute('aria-sort')) {
            other.setAttribute('aria-sort', 'none');
          }
        });
        th.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
        var rows = Array.prototype.slice.call(body.rows);
        if (rows.length < 2) {
          return;
        }
        rows.sort(function (r1, r2) {
          var result = compare(cellValue(r1, index), cellValue(r2, index));
          return ascending ? result : -result;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    Array.prototype.forEach.call(document.querySelectorAll('table[data-sortable]'), makeSortable);
  });
}());
