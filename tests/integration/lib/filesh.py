"""filesh - the files calls of ops.pebble.Client (push, pull, list_files, make_dir,
remove_path), reproduced request for request: urllib over a UNIX socket with ops'
headers, ops' hand-rolled multipart body (32 hex digits of boundary, quoted; the path
with '"' escaped as '\\"'; content yielded in 8 KiB pieces, so urllib sends it chunked),
and ops' checks of the answers (content types, the "files"/"response" parts, PathError
from the per-path error).  The ops package cannot be installed here (no PyPI), so its
wire behaviour is rebuilt from its source; raw helpers build deliberately broken
requests."""

import binascii
import email.parser
import http.client
import io
import json
import os
import re
import socket
import urllib.error
import urllib.parse
import urllib.request

CHUNK_SIZE = 8192  # ops.pebble.Client._chunk_size


def rss_kib(pid):
    """A process's resident size in KiB."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class APIError(Exception):
    def __init__(self, body, code, status, message):
        super().__init__(message)
        self.body, self.code, self.status, self.message = body, code, status, message


class PathError(Exception):
    def __init__(self, kind, message):
        super().__init__("%s - %s" % (kind, message))
        self.kind, self.message = kind, message


class ProtocolError(Exception):
    pass


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, host, timeout=None, socket_path=None):
        super().__init__(host, timeout=timeout) if timeout else super().__init__(host)
        self.socket_path = socket_path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.socket_path)
        if self.timeout:
            self.sock.settimeout(self.timeout)


class _UnixHandler(urllib.request.AbstractHTTPHandler):
    def __init__(self, socket_path):
        super().__init__()
        self.socket_path = socket_path

    def http_open(self, req):
        return self.do_open(_UnixConnection, req, socket_path=self.socket_path)


class OpsFiles:
    """The files methods of ops.pebble.Client against one socket."""

    def __init__(self, socket_path, timeout=60.0):
        self.socket_path = socket_path
        self.timeout = timeout
        self.base_url = "http://localhost"
        opener = urllib.request.OpenerDirector()
        opener.add_handler(_UnixHandler(socket_path))
        opener.add_handler(urllib.request.HTTPDefaultErrorHandler())
        opener.add_handler(urllib.request.HTTPRedirectHandler())
        opener.add_handler(urllib.request.HTTPErrorProcessor())
        self.opener = opener

    # ---- transport (ops' _request_raw / _request) ----

    def _request_raw(self, method, path, query=None, headers=None, data=None):
        url = self.base_url + path
        if query:
            url = url + "?" + urllib.parse.urlencode(query, doseq=True)
        request = urllib.request.Request(url, method=method, data=data, headers=headers or {})
        try:
            return self.opener.open(request, timeout=self.timeout)
        except urllib.error.HTTPError as e:
            try:
                body = json.loads(e.read())
                message = body["result"]["message"]
            except (OSError, ValueError, KeyError) as e2:
                body, message = {}, "%s - %s" % (type(e2).__name__, e2)
            raise APIError(body, e.code, e.reason, message)

    def _request(self, method, path, query=None, body=None):
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        response = self._request_raw(method, path, query, headers, data)
        self._ensure_content_type(response.headers, "application/json")
        return json.loads(response.read())

    @staticmethod
    def _ensure_content_type(headers, expected):
        ctype = headers.get_content_type()
        params = headers.get_params() or {}
        options = {key: value for key, value in params if value}
        if ctype != expected:
            raise ProtocolError("expected Content-Type %r, got %r" % (expected, ctype))
        return options

    @staticmethod
    def _raise_on_path_error(resp, path):
        result = resp["result"] or []
        paths = {item["path"]: item for item in result}
        if path not in paths:
            raise ProtocolError("path not found in response metadata: %s" % resp)
        error = paths[path].get("error")
        if error:
            raise PathError(error["kind"], error["message"])

    @staticmethod
    def _make_auth_dict(permissions, user_id, user, group_id, group):
        d = {}
        if permissions is not None:
            d["permissions"] = format(permissions, "03o")
        if user_id is not None:
            d["user-id"] = user_id
        if user is not None:
            d["user"] = user
        if group_id is not None:
            d["group-id"] = group_id
        if group is not None:
            d["group"] = group
        return d

    # ---- the API ----

    def push(self, path, source, *, encoding="utf-8", make_dirs=False, permissions=None,
             user_id=None, user=None, group_id=None, group=None):
        info = self._make_auth_dict(permissions, user_id, user, group_id, group)
        info["path"] = path
        if make_dirs:
            info["make-dirs"] = True
        metadata = {"action": "write", "files": [info]}
        data, content_type = self._encode_multipart(metadata, path, source, encoding)
        headers = {"Accept": "application/json", "Content-Type": content_type}
        response = self._request_raw("POST", "/v1/files", None, headers, data)
        self._ensure_content_type(response.headers, "application/json")
        resp = json.loads(response.read())
        self._raise_on_path_error(resp, path)

    def _encode_multipart(self, metadata, path, source, encoding):
        if isinstance(source, str):
            source = io.StringIO(source)
        elif isinstance(source, bytes):
            source = io.BytesIO(source)
        boundary = binascii.hexlify(os.urandom(16))
        path_escaped = path.replace('"', '\\"').encode("utf-8")
        content_type = 'multipart/form-data; boundary="' + boundary.decode("utf-8") + '"'

        def generator():
            yield b"".join([
                b"--", boundary, b"\r\n",
                b"Content-Type: application/json\r\n",
                b'Content-Disposition: form-data; name="request"\r\n',
                b"\r\n",
                json.dumps(metadata).encode("utf-8"), b"\r\n",
                b"--", boundary, b"\r\n",
                b"Content-Type: application/octet-stream\r\n",
                b'Content-Disposition: form-data; name="files"; filename="',
                path_escaped, b'"\r\n',
                b"\r\n",
            ])
            content = source.read(CHUNK_SIZE)
            while content:
                if isinstance(content, str):
                    content = content.encode(encoding)
                yield content
                content = source.read(CHUNK_SIZE)
            yield b"".join([b"\r\n", b"--", boundary, b"--\r\n"])

        return generator(), content_type

    def pull(self, path, *, encoding=None, sink=None):
        """Returns the file's bytes (or writes them to sink, a binary file object)."""
        query = {"action": "read", "path": path}
        headers = {"Accept": "multipart/form-data"}
        response = self._request_raw("GET", "/v1/files", query, headers)
        options = self._ensure_content_type(response.headers, "multipart/form-data")
        boundary = options.get("boundary", "")
        if not boundary:
            raise ProtocolError("invalid boundary %r" % boundary)
        parser = FilesParser(boundary, sink)
        while True:
            chunk = response.read(CHUNK_SIZE)
            if not chunk:
                break
            parser.feed(chunk)
        resp = parser.response
        if resp is None:
            raise ProtocolError('no "response" field in multipart body')
        self._raise_on_path_error(resp, path)
        filenames = parser.filenames
        if not filenames:
            raise ProtocolError("no file content in multipart response")
        if len(filenames) > 1:
            raise ProtocolError("single file request resulted in a multi-file response")
        if filenames[0] != path:
            raise ProtocolError("path not expected: %r" % filenames[0])
        data = parser.files[path] if sink is None else None
        return data.decode(encoding) if (encoding and data is not None) else data

    def list_files(self, path, *, pattern=None, itself=False):
        query = {"action": "list", "path": path}
        if pattern:
            query["pattern"] = pattern
        if itself:
            query["itself"] = "true"
        resp = self._request("GET", "/v1/files", query)
        return resp["result"] or []

    def make_dir(self, path, *, make_parents=False, permissions=None, user_id=None, user=None,
                 group_id=None, group=None):
        info = self._make_auth_dict(permissions, user_id, user, group_id, group)
        info["path"] = path
        if make_parents:
            info["make-parents"] = True
        resp = self._request("POST", "/v1/files", None, {"action": "make-dirs", "dirs": [info]})
        self._raise_on_path_error(resp, path)

    def remove_path(self, path, *, recursive=False):
        info = {"path": path}
        if recursive:
            info["recursive"] = True
        resp = self._request("POST", "/v1/files", None, {"action": "remove", "paths": [info]})
        self._raise_on_path_error(resp, path)


class FilesParser:
    """ops' _FilesParser/_MultipartParser behaviour: the stream is primed with CRLF, parts
    start at CRLF "--" boundary (blanks) CRLF, headers end at a blank line and are read with
    the email package, names must be "files" (with a filename) or "response"."""

    def __init__(self, boundary, sink=None):
        self.marker = boundary.encode() if isinstance(boundary, str) else boundary
        self.regex = re.compile(b"\r\n--" + re.escape(self.marker) + b"(--)?[ \t]*\r\n")
        self.buf = bytearray(b"\r\n")
        self.pos = 0
        self.done = False
        self.in_part = False
        self.part_name = None
        self.filename = None
        self.files = {}
        self.filenames = []
        self.response = None
        self.response_data = bytearray()
        self.sink = sink
        self.max_boundary = len(b"\r\n--" + self.marker + b"--\r\n") + 99

    def _header(self, data):
        parser = email.parser.BytesFeedParser()
        parser.feed(bytes(data))
        headers = parser.close()
        if headers.get_content_disposition() != "form-data":
            raise ProtocolError("unexpected content disposition: %r" % headers.get_content_disposition())
        name = headers.get_param("name", header="content-disposition")
        if name == "files":
            filename = headers.get_filename()
            if filename is None:
                raise ProtocolError('multipart "files" part missing filename')
            self.filename = filename
            self.filenames.append(filename)
            self.files[filename] = bytearray()
        elif name != "response":
            raise ProtocolError("unexpected name in content-disposition header: %r" % name)
        self.part_name = name

    def _body(self, data, done=False):
        if self.part_name == "response":
            self.response_data.extend(data)
            if done:
                self.response = json.loads(self.response_data.decode())
        elif self.part_name == "files":
            if self.sink is not None:
                self.sink.write(data)
            else:
                self.files[self.filename].extend(data)

    def feed(self, data):
        if self.done:
            return
        self.buf.extend(data)
        while not self.done:
            m = self.regex.search(self.buf)
            if not self.in_part:
                if not m:
                    return
                if m.group(1) is not None:
                    self.done = True
                    return
                term = self.buf.find(b"\r\n\r\n", m.end() - 2)
                if term == -1:
                    return
                self._header(self.buf[m.end():term + 4])
                del self.buf[:term + 4]
                self.in_part = True
                continue
            if not m:
                # Hand out what cannot be the start of a boundary (ops' safe bound).
                if len(self.buf) > self.max_boundary:
                    cut = len(self.buf) - self.max_boundary
                    self._body(self.buf[:cut])
                    del self.buf[:cut]
                return
            self._body(self.buf[:m.start()], done=True)
            del self.buf[:m.start()]
            self.in_part = False


def raw_post(socket_path, body_chunks, content_type, chunked=True, headers=None, timeout=30):
    """POSTs /v1/files with the given body (an iterable of bytes, sent chunked, or one
    bytes with Content-Length); returns (status, parsed JSON)."""
    c = _UnixConnection("localhost", timeout=timeout, socket_path=socket_path)
    hdrs = {"Content-Type": content_type, "Accept": "application/json"}
    hdrs.update(headers or {})
    if chunked:
        c.request("POST", "/v1/files", body=iter(body_chunks), headers=hdrs, encode_chunked=True)
    else:
        c.request("POST", "/v1/files", body=body_chunks, headers=hdrs)
    r = c.getresponse()
    raw = r.read()
    c.close()
    return r.status, json.loads(raw)


def multipart_body(boundary, parts, final=True, nl=b"\r\n"):
    """Builds a multipart body: parts is a list of (headers list, content bytes)."""
    b = boundary.encode() if isinstance(boundary, str) else boundary
    out = bytearray()
    for headers, content in parts:
        out += b"--" + b + nl
        for h in headers:
            out += h.encode() + nl
        out += nl + content + nl
    if final:
        out += b"--" + b + b"--" + nl
    return bytes(out)


def request_part(metadata):
    data = metadata if isinstance(metadata, bytes) else json.dumps(metadata).encode()
    return (["Content-Type: application/json", 'Content-Disposition: form-data; name="request"'], data)


def file_part(path, content, name="files"):
    return (["Content-Type: application/octet-stream",
             'Content-Disposition: form-data; name="%s"; filename="%s"' % (name, path.replace('"', '\\"'))], content)
