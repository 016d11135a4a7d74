"""Camera scanning on the operator screen in a real headless Chromium.

Chromium's fake camera (--use-fake-device-for-media-stream, the permission
granted by --use-fake-ui-for-media-stream) plays an MJPEG file made here: a
Code 128 of a parcel's place barcode drawn by python-barcode and Pillow (both
installed with python-escpos). Debian's Chromium has no BarcodeDetector, so
the screen loads @zxing/library (scripts/setup.sh puts it in var/zxing) and
reads the frames with it: the test proves that fallback.

The walk: login -> acceptance -> «Камера» -> the place is accepted as if
typed, once though it stays in view -> «Закрыть» stops the camera. Then the
decoder's route answers a JSON 404 when the library is not installed.

Runs in the SQLite pass of the suite only, like the other browser tests.
Skipped when chromium, chromedriver or selenium are missing (unless
MULTIPOINT_BROWSER_TESTS=required), or when var/zxing is not installed
(run scripts/setup.sh).
"""
import io
import json
import os
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

from trytond.modules.multipoint_core.tests.browser import (
    BrowserTestMixin, free_port, skip_reason)
from trytond.modules.multipoint_pos.routes_screen import zxing_path

DATABASE = 'camera'
PASSWORD = 'operator-pass-2026'
BARCODE = 'HB-1'  # a place of the Hermes parcel of browser_data.py

try:
    from selenium.webdriver.common.keys import Keys
except ImportError:
    pass  # skip_reason() says why


def camera_skip_reason():
    reason = skip_reason()
    if not reason and not os.path.isfile(zxing_path()):
        reason = "@zxing/library is not in var/zxing (run scripts/setup.sh)"
        if os.environ.get('MULTIPOINT_BROWSER_TESTS') == 'required':
            raise RuntimeError(f"browser tests required: {reason}")
    return reason


def barcode_video(path, code, frames=10):
    """An MJPEG file (JPEG frames one after the other) of a 640x480 picture
    of code as a Code 128 label"""
    import barcode
    from barcode.writer import ImageWriter
    from PIL import Image
    label = barcode.Code128(code, writer=ImageWriter()).render({
            'module_width': 0.35, 'module_height': 14, 'quiet_zone': 4,
            'font_size': 8, 'text_distance': 4, 'dpi': 300})
    label = label.convert('RGB')
    if label.width > 600:
        label = label.resize((600, label.height * 600 // label.width))
    frame = Image.new('RGB', (640, 480), 'white')
    frame.paste(label, ((640 - label.width) // 2, (480 - label.height) // 2))
    jpeg = io.BytesIO()
    frame.save(jpeg, 'JPEG', quality=90)
    with open(path, 'wb') as fp:
        fp.write(jpeg.getvalue() * frames)


@unittest.skipIf(camera_skip_reason(), camera_skip_reason())
class OperatorCameraTestCase(BrowserTestMixin, unittest.TestCase):
    "The rear camera of a phone reads a place at acceptance"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tmp = tempfile.mkdtemp(prefix='multipoint-camera-')
        cls.server_port = free_port()
        cls.config = os.path.join(cls.tmp, 'trytond.conf')
        with open(cls.config, 'w') as fp:
            fp.write(f"""[database]
uri = sqlite://
path = {cls.tmp}
language = ru
[web]
listen = 127.0.0.1:{cls.server_port}
[session]
authentications = password
[multipoint_fiscal]
driver = demo
""")
        cls.create_database(cls.config, DATABASE,
            ['multipoint_pos', 'multipoint_tickets'])
        cls.run_quiet([sys.executable, '-m',
                'trytond.modules.multipoint_pos.tests.browser_data',
                '-c', cls.config, '-d', DATABASE, 'setup'])
        cls.start_server(cls.config, DATABASE, cls.env, cls.server_port)
        video = os.path.join(cls.tmp, 'camera.mjpeg')
        barcode_video(video, BARCODE)
        cls.start_browser(page_load_timeout=60, arguments=[
                '--use-fake-ui-for-media-stream',
                '--use-fake-device-for-media-stream',
                f'--use-file-for-fake-video-capture={video}'])

    @classmethod
    def tearDownClass(cls):
        cls.stop_all()
        super().tearDownClass()

    def url(self, path=''):
        return (f'http://127.0.0.1:{self.server_port}/{DATABASE}'
            f'/multipoint/operator/{path}')

    def test_camera_reads_a_place(self):
        driver = self.driver
        driver.get(self.url())
        self.wait(lambda: self.find('#login-name').is_displayed(),
            "no login form")
        self.type('#login-name', 'op_msk')
        self.type('#login-password', PASSWORD + Keys.ENTER)
        self.wait(lambda: self.find('#app').is_displayed(), "no app", 30)
        # Debian's Chromium: no BarcodeDetector, the button all the same
        self.assertFalse(driver.execute_script(
                "return 'BarcodeDetector' in window"))
        self.assertTrue(self.find('#camera-toggle').is_displayed())
        self.assertFalse(driver.execute_script('return Boolean(window.ZXing)'),
            "the decoder is loaded before the camera is used")

        self.find('body').send_keys(Keys.F2)
        self.find('#reception-open button').click()
        self.wait(lambda: self.find('#reception-view').is_displayed(),
            "no reception")
        self.wait_text('#reception-counts', 'Принято 0 из 3')

        self.find('#camera-toggle').click()
        self.wait(lambda: self.find('#camera').is_displayed(), "no camera")
        self.wait_text('#reception-counts', 'Принято 1 из 3', 60)
        self.assertTrue(driver.execute_script('return Boolean(window.ZXing)'))
        self.assertIn(BARCODE, self.text('#reception-scans'))
        # the camera stays open for the next place; the one still in view
        # is not scanned again
        time.sleep(2)
        self.assertTrue(self.find('#camera').is_displayed())
        self.assertEqual(len(self.driver.find_elements(
                'css selector', '#reception-scans li')), 1)
        self.assertIn('Принято 1 из 3', self.text('#reception-counts'))

        self.find('#camera-close').click()
        self.wait(lambda: not self.find('#camera').is_displayed(),
            "the camera stays open")
        self.assertFalse(driver.execute_script(
                "return Boolean(document.querySelector('#camera-video')"
                ".srcObject)"))
        self.assertFalse(self.find('#camera-toggle').get_attribute('class')
            .count('active'))

    def test_decoder_route(self):
        with urllib.request.urlopen(self.url('vendor/zxing.min.js')) as r:
            self.assertIn('javascript', r.headers['Content-Type'])
            self.assertIn(b'ZXing', r.read(2000))
        # not installed (another folder): a JSON 404, said in Russian
        from trytond.modules.multipoint_pos.routes_screen import (
            operator_zxing)
        os.environ['MULTIPOINT_ZXING_DIR'] = self.tmp
        try:
            response = operator_zxing(None, DATABASE)
        finally:
            del os.environ['MULTIPOINT_ZXING_DIR']
        self.assertEqual(response.status_code, 404)
        error = json.loads(response.get_data())['error']
        self.assertEqual(error['code'], 'not_installed')
        self.assertIn('scripts/setup.sh', error['message'])
