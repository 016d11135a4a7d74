/* A parcel's card at issue: supplier and order, cell, recipient, amount
 * due, the supplier's rules, the items (with refuse boxes where a partial
 * buyout is allowed), the code and document fields and the tries left.
 * changed(requote) is called on every change, submitOnEnter on the keys of
 * the fields. */
import {api} from './api.js';
import {cellCode, formatDate, money} from './format.js';
import {readPhotos} from './photos.js';
import {$, el, flash, showError} from './ui.js';

export function parcelCard(parcel, choice, matched, {changed, submitOnEnter}) {
  const rules = parcel.rules || {};
  const notes = [];
  if (rules.id_check_required) notes.push('нужна проверка документа');
  if (rules.id_check_replaces_code) notes.push('документ заменяет код');
  if (rules.signature_required) notes.push('нужна подпись');
  if (rules.partial_buyout) notes.push('частичный выкуп разрешён');
  const lines = (parcel.lines || []).map((line) => el('li', {},
    rules.partial_buyout && line.refusable
      ? el('label', {class: 'check'},
        el('input', {type: 'checkbox', onchange: (event) => {
          if (event.target.checked) choice.refused[line.id] = line.quantity;
          else delete choice.refused[line.id];
          changed(true);
        }}), 'отказ: ')
      : '',
    `${line.name} × ${line.quantity} — ${money(line.unit_price)} ₽`,
    line.marked ? markingField(line, choice, submitOnEnter) : ''));
  const card = el('article', {class: `parcel${matched ? ' matched' : ''}`,
    'data-id': parcel.id},
  el('header', {},
    el('label', {class: 'check'},
      el('input', {type: 'checkbox', checked: choice.selected, onchange: (event) => {
        choice.selected = event.target.checked;
        changed(true);
      }}),
      el('span', {class: 'order'}, `${parcel.supplier.name} № ${parcel.order_number}`)),
    parcel.cell
      ? el('span', {class: 'cell', title: `Ячейка (${parcel.cell.name})`}, cellCode(parcel.cell))
      : el('span', {class: 'cell none'}, 'без ячейки')),
  el('div', {class: 'meta'},
    `${parcel.recipient_name || ''} ${parcel.recipient_phone || ''} · ${parcel.state_name}`
    + ` · хранение до ${parcel.storage_end_text
      || formatDate(parcel.storage_deadline)}`
    + ` · мест: ${(parcel.places || []).length}`),
  el('div', {class: 'due'}, parcel.prepaid ? 'Оплачено' : 'К оплате: ',
    parcel.prepaid ? '' : el('span', {class: 'amount'}, `${money(parcel.amount_due)} ₽`)),
  notes.length ? el('div', {class: 'rules'}, notes.join(' · ')) : '',
  lines.length ? el('ul', {}, lines) : '',
  parcel.code_locked
    ? el('div', {class: 'error'}, 'Ввод кода заблокирован после неверных попыток')
    : el('input', {class: 'code', placeholder: 'Код получения', inputmode: 'numeric',
      autocomplete: 'off', value: choice.code, onkeydown: submitOnEnter, oninput: (event) => {
        choice.code = event.target.value.trim();
        if (choice.code) choice.selected = true;
        $('header input', card).checked = choice.selected;
        changed();
      }}),
  el('div', {class: 'tries', hidden: choice.triesLeft === null},
    choice.triesLeft === null ? '' : triesText(choice.triesLeft)),
  rules.id_check_required || rules.id_check_replaces_code
    ? el('input', {class: 'code', placeholder: 'Документ, напр. паспорт ****1234',
      autocomplete: 'off', onkeydown: submitOnEnter, oninput: (event) => {
        choice.idCheck = event.target.value.trim();
        changed();
      }})
    : '',
  photoButton(parcel));
  return card;
}

/* a marked item (Честный знак): its tag, and the field to scan its
 * DataMatrix when the supplier did not send the code; the scanner may drop
 * the group separators, the server reads the code either way */
function markingField(line, choice, submitOnEnter) {
  if (line.marking_scanned) return el('span', {class: 'marking'}, ' маркировка ✓');
  return el('span', {class: 'marking'}, ' маркировка: ',
    el('input', {class: 'marking-code', placeholder: 'Отсканируйте DataMatrix',
      autocomplete: 'off', onkeydown: submitOnEnter, oninput: (event) => {
        const code = event.target.value.trim();
        if (code) choice.marking[line.id] = code;
        else delete choice.marking[line.id];
      }}));
}

/* «Фото»: the camera of the device (or a file) for a parcel opened at the
 * desk; the photos are kept on the parcel as evidence against a charge */
function photoButton(parcel) {
  const input = el('input', {type: 'file', accept: 'image/*',
    capture: 'environment', multiple: true, hidden: true,
    onchange: async () => {
      try {
        const photos = await readPhotos(input.files);
        if (!photos.length) return;
        const answer = await api.post(`parcels/${parcel.id}/photos`, {photos});
        flash(`Фото сохранено: ${answer.photos.length}`);
      } catch (error) {
        showError(error);
      } finally {
        input.value = '';
      }
    }});
  return el('label', {class: 'photo-button', title: 'Сфотографировать вскрытую посылку'},
    input, 'Фото');
}

export function triesText(left) {
  if (!left) return 'Неверный код. Ввод кода заблокирован: попробуйте позже';
  return `Неверный код. Осталось попыток: ${left}`;
}
