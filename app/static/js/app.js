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

  function init() {
    focusErrorSummary();
    bindConfirmForms();
    bindAutosubmit();
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
}());
