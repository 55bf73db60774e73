/*
 * A background job's page: poll its status (same origin, JSON) and move the progress bar; reload the page
 * when the job has finished, so that its result shows. Without this file the page has a refresh link and a
 * <noscript> meta refresh. No inline handlers (CSP: script-src 'self').
 */
(function () {
  'use strict';

  function start() {
    var section = document.querySelector('[data-job-status]');
    if (!section || typeof window.fetch !== 'function') {
      return;
    }
    var bar = document.getElementById(section.dataset.progress);
    var text = document.getElementById(section.dataset.progressText);
    var template = section.dataset.progressTemplate || '';
    var failures = 0;

    function show(done, total) {
      if (bar && total > 0) {
        bar.max = total;
        bar.value = done;
        bar.textContent = done + ' / ' + total;
      }
      if (text && template && total > 0) {
        text.textContent = template.replace('{done}', done).replace('{total}', total);
      }
    }

    function poll() {
      window.fetch(section.dataset.jobStatus, {credentials: 'same-origin', headers: {Accept: 'application/json'}})
        .then(function (response) {
          if (!response.ok) {
            throw new Error(response.status);
          }
          return response.json();
        })
        .then(function (state) {
          failures = 0;
          if (state.finished) {
            window.location.reload();
            return;
          }
          show(state.done, state.total);
          window.setTimeout(poll, 1000);
        })
        .catch(function () {
          failures += 1;
          if (failures >= 5) {
            if (text && section.dataset.errorText) {
              text.textContent = section.dataset.errorText;
            }
            return;
          }
          window.setTimeout(poll, 2000);
        });
    }

    window.setTimeout(poll, 1000);
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
}());
