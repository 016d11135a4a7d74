/* Photos attached to a ticket, read as base64 for the JSON API; a large
 * camera picture is scaled down first: a box's dent stays readable and the
 * upload stays short on a shop's connection. */
import {el} from './ui.js';

const MAX_PHOTOS = 10;
const MAX_PHOTO_BYTES = 10 * 1024 * 1024;  // the server's limit per file
const SHRINK_ABOVE_BYTES = 1536 * 1024;
const SHRINK_TO_PX = 1920;

/* [{name, data}] of the files of an <input type=file>; throws an Error
 * saying what is wrong (too many, too large, unreadable) */
export async function readPhotos(fileList) {
  const files = Array.from(fileList || []);
  if (files.length > MAX_PHOTOS) throw new Error(`Не больше ${MAX_PHOTOS} фото в одном обращении`);
  return Promise.all(files.map(async (file) => {
    const blob = file.size > SHRINK_ABOVE_BYTES ? await shrinkPhoto(file) : file;
    if (blob.size > MAX_PHOTO_BYTES) throw new Error(`Фото «${file.name}» больше 10 МБ`);
    const name = blob === file ? file.name : file.name.replace(/\.[^.]*$/, '') + '.jpg';
    return {name, data: await base64Of(blob)};
  }));
}

async function shrinkPhoto(file) {
  // a picture the browser cannot decode (HEIC on some systems) goes as it is
  try {
    const bitmap = await createImageBitmap(file);
    const scale = Math.min(1, SHRINK_TO_PX / Math.max(bitmap.width, bitmap.height));
    const canvas = el('canvas', {width: Math.round(bitmap.width * scale),
      height: Math.round(bitmap.height * scale)});
    canvas.getContext('2d').drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.85));
    return blob && blob.size < file.size ? blob : file;
  } catch (e) {
    return file;
  }
}

function base64Of(blob) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(',')[1] || '');
    reader.onerror = () => reject(new Error('Не удалось прочитать фото'));
    reader.readAsDataURL(blob);
  });
}
