/*
 * Progressive enhancement only: every page works without this file.
 * No dependencies, no inline handlers (CSP: script-src 'self').
 */
(function () {
  'use strict';

  // (a) Move focus to the error summary so screen-reader users hear it first.
  function focusErrorSummary() {
    var summary = document.querySelector('.error-summary');
    if (!summary) {
      return;
    }
    if (!summary.hasAttribute('tabindex')) {
      summary.setAttribute('tabindex', '-1');
    }
    summary.focus();
  }

  // (b) Ask for confirmation before submitting forms marked data-confirm.
  function bindConfirmForms() {
    var forms = document.querySelectorAll('form[data-confirm]');
    Array.prototype.forEach.call(forms, function (form) {
      form.addEventListener('submit', function (event) {
        var message = form.dataset.confirm;
        if (message && !window.confirm(message)) {
          event.preventDefault();
        }
      });
    });
  }

  // (c) Submit the surrounding form when a select[data-autosubmit] changes.
  function bindAutosubmit() {
    var selects = document.querySelectorAll('select[data-autosubmit]');
    Array.prototype.forEach.call(selects, function (select) {
      select.addEventListener('change', function () {
        var form = select.form;
        if (!form) {
          return;
        }
        if (typeof form.requestSubmit === 'function') {
          form.requestSubmit(); // fires submit events (and data-confirm)
        } else {
          form.submit();
        }
      });
    });
  }

  // (d) Check an uploaded import in steps: a form[data-auto-step] is posted by fetch() again and again
  // (Accept: application/json answers {checked, total, done}), its progress bar follows, and the page
  // reloads when the check is done. Without JavaScript the form's own button takes one step at a time.
  function bindAutoStep() {
    var form = document.querySelector('form[data-auto-step]');
    if (!form || typeof window.fetch !== 'function' || typeof window.FormData !== 'function') {
      return;
    }
    var bar = document.getElementById(form.dataset.progress);
    var text = document.getElementById(form.dataset.progressText);
    var template = form.dataset.progressTemplate || '';
    var button = form.querySelector('button[type="submit"]');
    var from = form.elements.namedItem('from');

    function show(checked, total) {
      if (bar) {
        bar.max = total;
        bar.value = checked;
        bar.textContent = checked + ' / ' + total;
      }
      if (text && template) {
        text.textContent = template.replace('{checked}', checked).replace('{total}', total);
      }
    }

    function stop() {
      if (button) {
        button.disabled = false;
      }
      if (text && form.dataset.errorText) {
        text.textContent = form.dataset.errorText;
      }
    }

    function step() {
      window.fetch(form.action, {
        method: 'POST',
        body: new FormData(form),
        headers: {'Accept': 'application/json'},
        credentials: 'same-origin'
      }).then(function (response) {
        if (!response.ok) {
          throw new Error('HTTP ' + response.status);
        }
        return response.json();
      }).then(function (data) {
        show(data.checked, data.total);
        if (from) {
          from.value = data.checked;
        }
        if (data.done) {
          window.location.reload();
        } else {
          step();
        }
      }).catch(stop);
    }

    if (button) {
      button.disabled = true;
    }
    step();
  }

  // (e) A table wider than the screen scrolls inside its .table-wrap. While it does, the wrapper is a region
  // named by the table's caption that the keyboard can reach and scroll (WCAG 2.1.1); a table that fits adds
  // no tab stop. Checked again when the window changes size.
  function markScrollingTables() {
    var wraps = document.querySelectorAll('.table-wrap');
    Array.prototype.forEach.call(wraps, function (wrap, index) {
      var scrolls = wrap.scrollWidth > wrap.clientWidth;
      var marked = wrap.hasAttribute('data-scroll-region');
      if (scrolls && !marked) {
        var caption = wrap.querySelector('caption');
        if (caption) {
          caption.id = caption.id || 'table-caption-' + index;
          wrap.setAttribute('role', 'region');
          wrap.setAttribute('aria-labelledby', caption.id);
        }
        wrap.setAttribute('tabindex', '0');
        wrap.setAttribute('data-scroll-region', '');
      } else if (!scrolls && marked) {
        ['role', 'aria-labelledby', 'tabindex', 'data-scroll-region'].forEach(function (name) {
          wrap.removeAttribute(name);
        });
      }
    });
  }

  function bindScrollingTables() {
    var pending = false;
    markScrollingTables();
    window.addEventListener('resize', function () {
      if (!pending) {
        pending = true;
        window.requestAnimationFrame(function () {
          pending = false;
          markScrollingTables();
        });
      }
    });
  }

  function init() {
    focusErrorSummary();
    bindConfirmForms();
    bindAutosubmit();
    bindAutoStep();
    bindScrollingTables();
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
}());
