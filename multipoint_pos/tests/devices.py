"""Local devices on 127.0.0.1 speaking the real protocols, for the tests
and the benchmark: an ATOL Web Server (JSON tasks over HTTP) and a raw
ESC/POS network printer (port 9100 style) that keeps the bytes it got"""
import base64
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def cp866(text):
    return text.encode('cp866')


# --- a local ATOL Web Server ------------------------------------------------
class AtolHandler(BaseHTTPRequestHandler):
    """POST /api/v2/requests queues a task (409 for a known uuid), GET
    /api/v2/requests/<uuid> tells its result, as the ATOL Web Server does"""

    def log_message(self, *args):
        pass

    def do_POST(self):
        server = self.server
        raw = self.rfile.read(int(self.headers.get('Content-Length', 0)))
        body = json.loads(raw)
        with server.lock:
            server.posts.append(body)
            known = body['uuid'] in server.tasks
            if not known and server.mode != 'http500':
                server.tasks[body['uuid']] = {
                    'request': body['request'], 'result': None}
        if server.post_delay:
            time.sleep(server.post_delay)
        if server.mode == 'http500':
            self.answer(500, {'error': {'code': 500,
                        'description': 'Internal error'}})
        elif known:
            self.answer(409, {'error': {'code': 409, 'description':
                        'Задание с таким uuid уже существует'}})
        else:
            self.answer(201, b'')

    def do_GET(self):
        server = self.server
        uuid = self.path.rsplit('/', 1)[-1]
        with server.lock:
            server.gets.append(uuid)
            task = server.tasks.get(uuid)
            if task is None:
                return self.answer(404, {'error': {'code': 404,
                            'description': 'Задание не найдено'}})
            if task['result'] is None:
                task['result'] = server.outcome(task)
            result = task['result']
        if result == 'garbage':
            return self.answer(200, b'<html>502 Bad Gateway</html>')
        if result == 'in_progress':
            task['result'] = None  # still working: decided at next poll
            result = {'status': 'inProgress', 'errorCode': 0,
                'errorDescription': 'Задание в процессе выполнения'}
        self.answer(200, {'results': [result]})

    def answer(self, status, body):
        if not isinstance(body, bytes):
            body = json.dumps(body, ensure_ascii=False).encode()
        try:
            self.send_response(status)
            self.send_header('Content-Type', 'application/json')
            self.send_header('Content-Length', str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # the client gave up waiting


class AtolServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(('127.0.0.1', 0), AtolHandler)
        self.lock = threading.Lock()
        self.reset()
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def reset(self):
        self.mode = 'ok'
        self.post_delay = 0
        self.posts = []
        self.gets = []
        self.tasks = {}
        self.printed = []
        # marking codes the marking system refuses (sold, withdrawn)
        self.rejected = set()

    @property
    def url(self):
        return f'http://127.0.0.1:{self.server_address[1]}'

    def outcome(self, task):
        "The result of a task under the current mode"
        refused = self.refused_marks(task['request'][0])
        if refused:
            # validateMarkingCodes: the register checked the codes before
            # printing and the marking system refused one
            return {'status': 'error', 'errorCode': 401,
                'errorDescription': 'Код маркировки не прошёл проверку: '
                + refused[0], 'result': None}
        if self.mode == 'ok':
            request = task['request'][0]
            self.printed.append(request)
            number = len(self.printed)
            return {'status': 'ready', 'errorCode': 0,
                'errorDescription': 'Ошибок нет',
                'result': {'fiscalParams': {
                        'fiscalDocumentNumber': 100 + number,
                        'fiscalDocumentSign': f'32145678{number:02d}',
                        'fiscalReceiptNumber': number,
                        'fnNumber': '9999078900012345',
                        'registrationNumber': '0000000001012345',
                        'shiftNumber': 7,
                        'receiptSum': request['total'],
                        'fiscalDocumentDateTime': (
                            '2026-01-15T12:30:00+03:00'),
                        'fnsUrl': 'www.nalog.gov.ru',
                        }, 'warnings': None}}
        if self.mode == 'no_paper':
            return {'status': 'error', 'errorCode': 44,
                'errorDescription': 'Нет бумаги', 'result': None}
        if self.mode == 'shift_expired':
            return {'status': 'error', 'errorCode': 68,
                'errorDescription': 'Смена превысила 24 часа',
                'result': None}
        return self.mode  # garbage, in_progress

    def refused_marks(self, request):
        "The codes of the receipt out of circulation (in self.rejected)"
        if not request.get('validateMarkingCodes'):
            return []
        codes = [base64.b64decode(i['imcParams']['imc']).decode()
            for i in request.get('items', []) if i.get('imcParams')]
        return [c for c in codes if c in self.rejected]

    def stop(self):
        self.shutdown()
        self.server_close()


# --- a local network printer ------------------------------------------------
class PrinterServer:
    "Accepts connections on 127.0.0.1 and keeps the bytes of each"

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(5)
        self.port = self.sock.getsockname()[1]
        self.jobs = []
        self.done = threading.Condition()
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            data = b''
            with conn:
                while chunk := conn.recv(65536):
                    data += chunk
            with self.done:
                self.jobs.append(data)
                self.done.notify_all()

    def wait(self, count=1, timeout=5):
        with self.done:
            self.done.wait_for(lambda: len(self.jobs) >= count, timeout)
        return self.jobs[count - 1]

    def stop(self):
        self.sock.close()
