/* Camera scanning (phones and tablets without a scanner).
 *
 * The rear camera reads 1D codes (Code 128, EAN-13...), QR and DataMatrix; a
 * code read goes through the same path as a typed or scanned one (onScan).
 * The browser's BarcodeDetector decodes where it has one; elsewhere (desktop
 * Chromium on Linux, Firefox, Safari) @zxing/library does, loaded from the
 * server only the first time the camera is used (vendor/zxing.min.js,
 * installed by scripts/setup.sh, a classic script defining window.ZXing). In
 * issue mode the camera closes after a code; in the other modes it stays open
 * for the next one (a place, then its cell), and a code still in view is not
 * read twice.
 */
import {on, state} from './state.js';
import {$, beep, flash} from './ui.js';

const CAMERA_FORMATS = ['code_128', 'code_39', 'ean_13', 'ean_8', 'itf', 'upc_a',
  'qr_code', 'data_matrix'];
// the same code again only after it has been out of view this long
const CAMERA_REPEAT_MS = 3000;
const camera = {stream: null, decode: null, timer: null, run: 0,
  last: null, lastSeen: 0};
let zxingLoading = null;
let onCode = async () => {};

function cameraAvailable() {
  return Boolean(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
}

/* @zxing/library's UMD build, once per page: it defines window.ZXing */
function loadZxing() {
  if (window.ZXing) return Promise.resolve(window.ZXing);
  if (!zxingLoading) {
    zxingLoading = new Promise((resolve, reject) => {
      const script = document.createElement('script');
      script.src = 'vendor/zxing.min.js';
      script.async = true;
      script.onload = () => (window.ZXing ? resolve(window.ZXing)
        : reject(new Error('zxing')));
      script.onerror = () => reject(new Error('zxing'));
      document.head.append(script);
    }).catch((error) => { zxingLoading = null; throw error; });
  }
  return zxingLoading;
}

/* The browser's own detector, or null when it has none for our formats */
async function nativeDecoder() {
  if (!('BarcodeDetector' in window)) return null;
  try {
    let formats = CAMERA_FORMATS;
    if (window.BarcodeDetector.getSupportedFormats) {
      const supported = await window.BarcodeDetector.getSupportedFormats();
      formats = CAMERA_FORMATS.filter((f) => supported.includes(f));
    }
    if (!formats.length) return null;
    const detector = new window.BarcodeDetector({formats});
    return async (video) => {
      const found = await detector.detect(video);
      return found.length ? found[0].rawValue : null;
    };
  } catch (e) {
    return null;
  }
}

/* zxing reading a frame of the video drawn on a canvas */
async function zxingDecoder() {
  const ZXing = await loadZxing();
  const F = ZXing.BarcodeFormat;
  const hints = new Map();
  hints.set(ZXing.DecodeHintType.POSSIBLE_FORMATS, [F.CODE_128, F.CODE_39,
    F.EAN_13, F.EAN_8, F.ITF, F.UPC_A, F.QR_CODE, F.DATA_MATRIX]);
  hints.set(ZXing.DecodeHintType.TRY_HARDER, true);
  const reader = new ZXing.MultiFormatReader();
  reader.setHints(hints);
  const canvas = document.createElement('canvas');
  const context = canvas.getContext('2d', {willReadFrequently: true});
  return async (video) => {
    const width = video.videoWidth;
    const height = video.videoHeight;
    if (!width || !height) return null;
    // a phone's 1920 px frame is more than a label needs and slow to read
    const scale = Math.min(1, 1280 / Math.max(width, height));
    canvas.width = Math.round(width * scale);
    canvas.height = Math.round(height * scale);
    context.drawImage(video, 0, 0, canvas.width, canvas.height);
    const source = new ZXing.HTMLCanvasElementLuminanceSource(canvas);
    const bitmap = new ZXing.BinaryBitmap(new ZXing.HybridBinarizer(source));
    try {
      return reader.decodeWithState(bitmap).getText();
    } catch (e) {
      return null;  // no code in this frame
    } finally {
      reader.reset();
    }
  };
}

async function cameraDecoder() {
  return (await nativeDecoder()) || zxingDecoder();
}

function cameraError(error) {
  const name = error && error.name;
  if (name === 'NotAllowedError' || name === 'SecurityError') {
    return 'Нет доступа к камере: разрешите его в настройках браузера для этого сайта';
  }
  if (name === 'NotFoundError' || name === 'OverconstrainedError' || name === 'DevicesNotFoundError') {
    return 'Камера не найдена на этом устройстве';
  }
  if (name === 'NotReadableError' || name === 'AbortError') {
    return 'Камера занята другим приложением или не отвечает';
  }
  return 'Камера недоступна';
}

async function startCamera() {
  if (camera.stream || camera.run) { stopCamera(); return; }
  if (!cameraAvailable()) {
    flash('Камера недоступна: браузер даёт её только странице, открытой по HTTPS', 'bad', true);
    return;
  }
  const run = Date.now();
  camera.run = run;
  camera.last = null;
  $('#camera').hidden = false;
  $('#camera-status').textContent = 'Включение камеры…';
  $('#camera-toggle').classList.add('active');
  // the permission prompt and the decoder's download go together
  const decoding = cameraDecoder().catch(() => null);
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia(
      {video: {facingMode: 'environment'}, audio: false});
  } catch (error) {
    if (camera.run !== run) return;
    stopCamera();
    flash(cameraError(error), 'bad', true);
    return;
  }
  if (camera.run !== run) {  // closed while the browser asked
    stream.getTracks().forEach((track) => track.stop());
    return;
  }
  camera.stream = stream;
  const video = $('#camera-video');
  video.srcObject = stream;
  try { await video.play(); } catch (e) { /* autoplay: it plays muted anyway */ }
  $('#camera-status').textContent = 'Загрузка распознавания штрихкодов…';
  const decode = await decoding;
  if (camera.run !== run) return;
  if (!decode) {
    stopCamera();
    flash('Распознавание штрихкодов камерой не установлено на сервере: введите код вручную', 'bad', true);
    return;
  }
  camera.decode = decode;
  $('#camera-status').textContent = 'Наведите камеру на штрихкод';
  detectLoop(run);
}

async function detectLoop(run) {
  if (camera.run !== run || !camera.stream) return;
  const video = $('#camera-video');
  let code = null;
  if (video.readyState >= 2) {
    try {
      code = await camera.decode(video);
    } catch (e) { /* a frame it could not read */ }
  }
  if (camera.run !== run) return;
  code = code && code.trim();
  const now = Date.now();
  if (code && code === camera.last && now - camera.lastSeen < CAMERA_REPEAT_MS) {
    camera.lastSeen = now;  // still in view: read once
    code = null;
  }
  if (code) {
    camera.last = code;
    camera.lastSeen = now;
    beep('ok');
    $('#camera-status').textContent = `Прочитан код ${code}`;
    if (state.mode === 'issue') stopCamera();
    await onCode(code);
    if (camera.run !== run) return;
  }
  camera.timer = setTimeout(() => detectLoop(run), 150);
}

export function stopCamera() {
  clearTimeout(camera.timer);
  camera.run = 0;
  camera.decode = null;
  if (camera.stream) camera.stream.getTracks().forEach((track) => track.stop());
  camera.stream = null;
  const video = $('#camera-video');
  if (video) video.srcObject = null;
  $('#camera').hidden = true;
  $('#camera-toggle').classList.remove('active');
}

/* scan(code): what a code read does (the scan field's onScan) */
export function initCamera(scan) {
  onCode = scan;
  // without getUserMedia (a page over plain HTTP) the button explains why
  $('#camera-toggle').hidden = !cameraAvailable() && window.isSecureContext;
  $('#camera-toggle').addEventListener('click', startCamera);
  $('#camera-close').addEventListener('click', stopCamera);
  on('mode', stopCamera);
}
