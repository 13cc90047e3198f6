// A tiny element builder: text always goes in as text (never as HTML), so nothing the API
// answers (a job type, a payload, an error) can inject markup into the page.

/**
 * h('a', {href: '#/job/1', class: 'x', onclick: fn, dataset: {id: 1}}, 'text', child, ...)
 * Attributes whose value is null, undefined or false are left out; true sets an empty attribute.
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === 'dataset') Object.assign(el.dataset, value);
    else if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

/** Replaces an element's children, keeping keyboard focus on the control that had it (by data-focus-key). */
export function replace(el, ...children) {
  const focused = document.activeElement && el.contains(document.activeElement)
    ? document.activeElement.dataset.focusKey : null;
  el.replaceChildren();
  append(el, children);
  if (focused) {
    const again = el.querySelector(`[data-focus-key="${CSS.escape(focused)}"]`);
    if (again) again.focus();
  }
}

/**
 * Fills a select with one option per name after the "all" option, keeping the choice while it is
 * still offered; left alone (focus and all) while the names stay the same.
 */
export function fillChoices(select, names, allLabel) {
  const key = names.join('\n');
  if (select.dataset.names === key) return;
  const chosen = select.value;
  select.dataset.names = key;
  replace(select, h('option', { value: '' }, allLabel), names.map((n) => h('option', { value: n }, n)));
  select.value = names.includes(chosen) ? chosen : '';
}

export const $ = (selector, root = document) => root.querySelector(selector);
