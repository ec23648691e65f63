/*
 * The smallest piece Node lacks for QMP's getfd: recvmsg() with SCM_RIGHTS on a UNIX stream
 * socket, plus a libuv poll watcher so reads stay on the event loop. Node's own stream handle
 * reads with plain read(), which makes the kernel discard (close) passed descriptors, so the
 * JavaScript side never lets Node read the socket: it gives this addon a dup() of the descriptor.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <fcntl.h>
#include <stdio.h>
#include <node_api.h>
#include <uv.h>

#define MAX_FDS 16

#define CHECK(call)                                                   \
  do {                                                                \
    if ((call) != napi_ok) {                                          \
      napi_throw_error(env, NULL, "scm_rights: " #call " failed");    \
      return NULL;                                                    \
    }                                                                 \
  } while (0)

static napi_value throw_errno(napi_env env, const char *what, int err) {
  napi_value msg, code, error;
  char text[256];
  snprintf(text, sizeof text, "%s: %s", what, strerror(err));
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg);
  napi_create_int32(env, err, &code);
  napi_create_error(env, NULL, msg, &error);
  napi_set_named_property(env, error, "errno", code);
  napi_throw(env, error);
  return NULL;
}

/* recv(fd, buffer) -> { bytes, fds } ; bytes -1 when nothing is ready (EAGAIN), 0 at EOF. */
static napi_value Recv(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t fd;
  void *data;
  size_t length;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) {
    napi_throw_type_error(env, NULL, "recv(fd, buffer) needs two arguments");
    return NULL;
  }
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  CHECK(napi_get_buffer_info(env, argv[1], &data, &length));

  struct iovec iov = { .iov_base = data, .iov_len = length };
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(int) * MAX_FDS)];
  } control;
  struct msghdr msg;
  memset(&msg, 0, sizeof msg);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.buf;
  msg.msg_controllen = sizeof control.buf;

  ssize_t n;
  do {
    n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return throw_errno(env, "recvmsg", errno);

  napi_value result, bytes, fds;
  CHECK(napi_create_object(env, &result));
  CHECK(napi_create_int64(env, n < 0 ? -1 : (int64_t)n, &bytes));
  CHECK(napi_create_array(env, &fds));
  uint32_t count = 0;
  if (n >= 0) {
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
      size_t nfds = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      int *received = (int *)CMSG_DATA(c);
      for (size_t i = 0; i < nfds; i++) {
        napi_value v;
        CHECK(napi_create_int32(env, received[i], &v));
        CHECK(napi_set_element(env, fds, count++, v));
      }
    }
  }
  CHECK(napi_set_named_property(env, result, "bytes", bytes));
  CHECK(napi_set_named_property(env, result, "fds", fds));
  /* MSG_CTRUNC: descriptors beyond MAX_FDS were closed by the kernel; report it. */
  napi_value truncated;
  CHECK(napi_get_boolean(env, n >= 0 && (msg.msg_flags & MSG_CTRUNC) != 0, &truncated));
  CHECK(napi_set_named_property(env, result, "truncated", truncated));
  return result;
}

typedef struct {
  uv_poll_t poll;
  napi_env env;
  napi_ref callback;
  napi_async_context context;
  napi_ref resource;
  int closing;
} Watcher;

static void on_closed(uv_handle_t *handle) {
  Watcher *w = (Watcher *)handle->data;
  free(w);
}

static void on_poll(uv_poll_t *handle, int status, int events) {
  (void)events;
  Watcher *w = (Watcher *)handle->data;
  if (w->closing) return;
  napi_env env = w->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value callback, resource, arg, result;
  if (napi_get_reference_value(env, w->callback, &callback) == napi_ok &&
      napi_get_reference_value(env, w->resource, &resource) == napi_ok &&
      napi_create_int32(env, status, &arg) == napi_ok) {
    /* make_callback runs the microtask queue afterwards, like any libuv-driven JS callback. */
    napi_make_callback(env, w->context, resource, callback, 1, &arg, &result);
  }
  napi_close_handle_scope(env, scope);
}

static void finalize_watcher(napi_env env, void *data, void *hint) {
  (void)env; (void)data; (void)hint;
}

/* watch(fd, callback) -> handle: calls callback(status) whenever fd is readable (or on error). */
static napi_value Watch(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t fd;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) {
    napi_throw_type_error(env, NULL, "watch(fd, callback) needs two arguments");
    return NULL;
  }
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  uv_loop_t *loop;
  CHECK(napi_get_uv_event_loop(env, &loop));
  Watcher *w = calloc(1, sizeof *w);
  if (w == NULL) return throw_errno(env, "watch", ENOMEM);
  int rc = uv_poll_init(loop, &w->poll, fd);
  if (rc != 0) {
    free(w);
    return throw_errno(env, "uv_poll_init", -rc);
  }
  w->poll.data = w;
  w->env = env;
  napi_value handle, name;
  CHECK(napi_create_object(env, &handle));
  CHECK(napi_wrap(env, handle, w, finalize_watcher, NULL, NULL));
  CHECK(napi_create_reference(env, argv[1], 1, &w->callback));
  CHECK(napi_create_reference(env, handle, 1, &w->resource));
  CHECK(napi_create_string_utf8(env, "scm_rights.watch", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_async_init(env, handle, name, &w->context));
  rc = uv_poll_start(&w->poll, UV_READABLE | UV_DISCONNECT, on_poll);
  if (rc != 0) return throw_errno(env, "uv_poll_start", -rc);
  return handle;
}

/* unwatch(handle): stops and frees the watcher; the caller closes the descriptor afterwards. */
static napi_value Unwatch(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  Watcher *w;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || napi_remove_wrap(env, argv[0], (void **)&w) != napi_ok || w == NULL) {
    napi_throw_type_error(env, NULL, "unwatch(handle): not a live watcher");
    return NULL;
  }
  w->closing = 1;
  uv_poll_stop(&w->poll);
  napi_async_destroy(env, w->context);
  napi_delete_reference(env, w->callback);
  napi_delete_reference(env, w->resource);
  uv_close((uv_handle_t *)&w->poll, on_closed);
  return NULL;
}

/* closeFd(fd): close(2) for descriptors that never became Node handles. */
static napi_value CloseFd(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  if (close(fd) != 0 && errno != EINTR) return throw_errno(env, "close", errno);
  return NULL;
}

/* dup(fd) -> new descriptor (close-on-exec). */
static napi_value Dup(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  int32_t fd;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  int copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) return throw_errno(env, "dup", errno);
  CHECK(napi_create_int32(env, copy, &result));
  return result;
}

static napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    { "recv", NULL, Recv, NULL, NULL, NULL, napi_default, NULL },
    { "watch", NULL, Watch, NULL, NULL, NULL, napi_default, NULL },
    { "unwatch", NULL, Unwatch, NULL, NULL, NULL, napi_default, NULL },
    { "closeFd", NULL, CloseFd, NULL, NULL, NULL, napi_default, NULL },
    { "dup", NULL, Dup, NULL, NULL, NULL, napi_default, NULL },
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
