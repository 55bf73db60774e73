/*
 * Column choice for a wide table: a <details data-column-choice="TABLE-ID"> holds one checkbox per column group
 * (its value names the group); the table's cells carry data-column-group. Unticking a box hides that group's
 * cells. The choice is remembered per table in localStorage.
 *
 * Progressive enhancement: the panel ships with the hidden attribute and only this file shows it, so without
 * JavaScript every column shows and no control is offered that would do nothing. No inline handlers (CSP).
 */
(function () {
  'use strict';

  var PREFIX = 'columns:';

  function load(key) {
    try {
      var stored = JSON.parse(window.localStorage.getItem(key) || '[]');
      return Array.isArray(stored) ? stored : [];
    } catch (error) {
      return []; // storage switched off, full or holding something else: every column shows
    }
  }

  function save(key, hidden) {
    try {
      window.localStorage.setItem(key, JSON.stringify(hidden));
    } catch (error) {
      // the choice holds for this page only
    }
  }

  function bind(panel) {
    var table = document.getElementById(panel.getAttribute('data-column-choice'));
    if (!table) {
      return;
    }
    var key = PREFIX + table.id;
    var boxes = panel.querySelectorAll('input[type="checkbox"][value]');
    var cells = table.querySelectorAll('[data-column-group]');
    var hidden = load(key);

    function apply() {
      var off = [];
      Array.prototype.forEach.call(boxes, function (box) {
        if (!box.checked) {
          off.push(box.value);
        }
      });
      Array.prototype.forEach.call(cells, function (cell) {
        cell.hidden = off.indexOf(cell.getAttribute('data-column-group')) !== -1;
      });
      return off;
    }

    Array.prototype.forEach.call(boxes, function (box) {
      box.checked = hidden.indexOf(box.value) === -1;
      box.addEventListener('change', function () {
        save(key, apply());
        // The table is narrower or wider now: let app.js check again whether its wrapper scrolls.
        window.dispatchEvent(new Event('resize'));
      });
    });
    apply();
    panel.hidden = false;
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll('details[data-column-choice]'), bind);
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
}());
