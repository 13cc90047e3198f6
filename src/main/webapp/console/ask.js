import { $ } from './dom.js';

/**
 * Asks the person to confirm an action, with the reason that goes into the audit rows: the
 * page's one modal dialog (#ask). Answers the reason typed (or '' when none is asked for), or
 * null when the person backed out (Cancel, Escape). A reason is required where one is asked.
 */
export function ask({ title, message, confirm = 'Confirm', reason = true, danger = false, value = '' }) {
  const dialog = $('#ask');
  const input = $('#ask-reason');
  $('#ask-title').textContent = title;
  $('#ask-message').textContent = message || '';
  $('#ask-ok').textContent = confirm;
  $('#ask-ok').classList.toggle('danger', danger);
  $('#ask-reason-row').hidden = !reason;
  input.required = reason;
  input.value = value;
  return new Promise((resolve) => {
    const done = (answer) => {
      dialog.removeEventListener('close', closed);
      resolve(answer);
    };
    const closed = () => done(dialog.returnValue === 'ok' ? (reason ? input.value.trim() : '') : null);
    dialog.addEventListener('close', closed);
    dialog.returnValue = '';
    dialog.showModal();
    (reason ? input : $('#ask-ok')).focus();
  });
}

/** Wires the dialog's buttons once: Confirm submits (a reason must not be blank), Cancel closes. */
export function setUpAsk() {
  const dialog = $('#ask');
  $('#ask-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const input = $('#ask-reason');
    if (input.required && !input.value.trim()) {
      input.setCustomValidity('Give a reason: it goes into the audit log.');
      input.reportValidity();
      return;
    }
    dialog.close('ok');
  });
  $('#ask-reason').addEventListener('input', (e) => e.target.setCustomValidity(''));
  $('#ask-cancel').addEventListener('click', () => dialog.close('cancel'));
}
