/* «Сегодня»: the point's tasks for its local today (multipoint_tickets'
 * organizer), a drawer opened from the scan bar's button (or F7) over
 * whatever mode the operator is in. The button counts the open tasks and
 * turns red when one is overdue, so a busy desk sees it without leaving the
 * issue. Shown only when the server has multipoint_tickets (features).
 */
import {api, NetworkError} from './api.js';
import {hasFeature, loadFeatures} from './features.js';
import {formatDate} from './format.js';
import {session, withPoint} from './session.js';
import {on} from './state.js';
import {$, el, flash, showError} from './ui.js';

const TODAY_REFRESH_MS = 5 * 60 * 1000;

// listed: the tasks as last listed, so that a refresh bringing the same
// does not replace a button under the operator's finger
const today = {date: null, tasks: [], listed: null};

/* the tasks asked again (after a login, every 5 minutes, on opening) */
export async function loadToday() {
  if (!session() || !session().point) return;
  await loadFeatures();
  if (hasFeature('tickets')) {
    try {
      const data = await api.get('tasks/today', withPoint());
      today.date = data.date;
      today.tasks = data.tasks || [];
    } catch (error) {
      if (error instanceof NetworkError) return;  // keep the last list
      if (error.status !== 401) showError(error);
    }
  }
  renderToday();
}

function renderToday() {
  const available = hasFeature('tickets');
  const open = today.tasks.filter((task) => task.state === 'open');
  const overdue = open.filter((task) => task.overdue).length;
  const button = $('#today-toggle');
  button.hidden = !available;
  button.textContent = `Сегодня: ${open.length}`;
  button.classList.toggle('overdue', overdue > 0);
  button.title = overdue ? `Просрочено задач: ${overdue} (F7)` : 'Задачи на сегодня (F7)';
  if (!available) $('#today').hidden = true;
  // the same module answers tickets: without it, no ticket buttons either
  document.body.classList.toggle('no-tickets', available === false);
  const listed = JSON.stringify([today.date, today.tasks]);
  if (listed === today.listed) return;
  today.listed = listed;
  $('#today-list').replaceChildren(...(today.tasks.length ? today.tasks.map(taskItem)
    : [el('li', {class: 'muted'}, 'На сегодня задач нет')]));
}

function taskTime(task) {
  // "YYYY-MM-DDTHH:MM" at the point; the date only when it is not today
  const [date, time] = String(task.due_local).split('T');
  return date === today.date ? time : `${formatDate(date).slice(0, 5)} ${time}`;
}

function taskItem(task) {
  const done = task.state === 'done';
  const details = [
    task.assignee ? `исполнитель: ${task.assignee.name}` : '',
    task.overdue ? 'просрочена' : '',
    done ? `выполнил(а): ${task.done_by || '—'}` : '',
  ].filter(Boolean).join(' · ');
  return el('li', {class: `task ${done ? 'ok' : task.overdue ? 'bad' : 'warn'}`,
    'data-task': task.id},
  el('div', {class: 'task-head'},
    el('span', {class: 'task-time'}, taskTime(task)),
    el('b', {class: 'task-title'}, task.title),
    done
      ? el('button', {type: 'button', onclick: (event) => markTask(task, false, event.target)},
        'Вернуть')
      : el('button', {type: 'button', class: 'primary',
        onclick: (event) => markTask(task, true, event.target)}, 'Выполнено')),
  task.notes ? el('div', {class: 'task-notes'}, task.notes) : '',
  details ? el('div', {class: 'muted'}, details) : '');
}

async function markTask(task, done, button) {
  button.disabled = true;
  try {
    const data = done ? await api.post(`tasks/${task.id}/done`)
      : await api.post(`tasks/${task.id}/undo`);
    today.tasks = today.tasks.map((t) => (t.id === task.id ? data.task : t));
    renderToday();
    if (done) {
      const next = data.next ? ` Следующий раз: ${formatDate(data.next.due_local)}`
        + ` ${data.next.due_local.slice(11, 16)}` : '';
      flash(`Выполнено: ${task.title}.${next}`, 'ok', true);
    } else {
      flash(`Снова к выполнению: ${task.title}`, 'warn');
    }
  } catch (error) {
    showError(error);
    button.disabled = false;
  }
}

function toggleToday(show = $('#today').hidden) {
  if (!hasFeature('tickets')) return;
  const drawer = $('#today');
  drawer.style.top = `${Math.max(0, $('#scan-form').getBoundingClientRect().bottom) + 6}px`;
  drawer.hidden = !show;
  if (show) loadToday();
}

export function initTasks() {
  $('#today-toggle').addEventListener('click', () => toggleToday());
  $('#today-close').addEventListener('click', () => toggleToday(false));
  document.addEventListener('keydown', (event) => {
    if (event.key === 'F7' && !$('#app').hidden) {
      event.preventDefault();
      toggleToday();
    }
  });
  // the drawer belongs to no mode: a mode change closes it
  on('mode', () => { $('#today').hidden = true; });
  setInterval(loadToday, TODAY_REFRESH_MS);
}
