#include "control/metrics_http_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <unistd.h>

#include "common/log_modules.h"

#include <cerrno>
#include <charconv>
#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "control/metrics_exposition.h"

namespace flowpath::control {

namespace {

constexpr char kUsage[] = "give PORT, IPV4:PORT or [IPV6]:PORT";

Result<uint16_t> parse_port(std::string_view whole, std::string_view text) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value == 0 ||
      value > 65535) {
    return make_error("metrics address \"" + std::string(whole) + "\": port \"" +
                      std::string(text) + "\" is not a number from 1 to 65535");
  }
  return static_cast<uint16_t>(value);
}

MHD_Result queue_text(MHD_Connection* connection, unsigned status, const std::string& body,
                      const char* content_type, const char* allow = nullptr) {
  MHD_Response* response = MHD_create_response_from_buffer(
      body.size(), const_cast<char*>(body.data()), MHD_RESPMEM_MUST_COPY);
  if (!response) return MHD_NO;
  MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
  if (allow) MHD_add_response_header(response, MHD_HTTP_HEADER_ALLOW, allow);
  MHD_Result queued = MHD_queue_response(connection, status, response);
  MHD_destroy_response(response);
  return queued;
}

void log_from_library(void*, const char* format, va_list args) {
  char line[512];
  std::vsnprintf(line, sizeof line, format, args);
  size_t n = std::strlen(line);
  while (n > 0 && line[n - 1] == '\n') line[--n] = '\0';
  module_log(LogModule::kControl).warn("metrics endpoint: {}", line);
}

// Every request, on the server's thread. `render` is the server's.
MHD_Result answer(void* render, MHD_Connection* connection, const char* url, const char* method,
                  const char*, const char*, size_t* upload_data_size, void**) {
  const std::string_view verb(method);
  if (verb != MHD_HTTP_METHOD_GET && verb != MHD_HTTP_METHOD_HEAD) {
    *upload_data_size = 0;  // a body is not read
    return queue_text(connection, MHD_HTTP_METHOD_NOT_ALLOWED,
                      std::string(method) + " is not served: use GET /metrics\n",
                      "text/plain; charset=utf-8", "GET, HEAD");
  }
  if (std::string_view(url) != "/metrics") {
    return queue_text(connection, MHD_HTTP_NOT_FOUND, "not found: only /metrics is served\n",
                      "text/plain; charset=utf-8");
  }
  return queue_text(connection, MHD_HTTP_OK, (*static_cast<MetricsHttpServer::Render*>(render))(), MetricsExposition::kContentType);
}

}  // namespace

Result<MetricsEndpoint> parse_metrics_endpoint(std::string_view text) {
  MetricsEndpoint out;
  std::string host;
  std::string_view port_text;
  bool ipv6 = false;
  if (text.empty()) return make_error(std::string("empty metrics address: ") + kUsage);
  if (text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return make_error("metrics address \"" + std::string(text) +
                        "\": an IPv6 address in brackets must be followed by :PORT");
    }
    host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
    ipv6 = true;
  } else if (size_t colon = text.rfind(':'); colon != std::string_view::npos) {
    host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
    if (host.find(':') != std::string::npos) {
      return make_error("metrics address \"" + std::string(text) +
                        "\": write an IPv6 address in brackets, as [::1]:9464");
    }
    if (host.empty()) {
      return make_error("metrics address \"" + std::string(text) +
                        "\": no address before the port (127.0.0.1:PORT for loopback, "
                        "0.0.0.0:PORT for every interface)");
    }
  } else {
    host = "127.0.0.1";  // a port alone: loopback
    port_text = text;
  }
  TRY_ASSIGN(port, parse_port(text, port_text));
  if (ipv6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&out.address);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(port);
    if (inet_pton(AF_INET6, host.c_str(), &a->sin6_addr) != 1) {
      return make_error("metrics address \"" + std::string(text) + "\": \"" + host +
                        "\" is not an IPv6 address");
    }
    out.length = sizeof(sockaddr_in6);
    out.text = "[" + host + "]:" + std::to_string(port);
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&out.address);
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    if (inet_pton(AF_INET, host.c_str(), &a->sin_addr) != 1) {
      return make_error("metrics address \"" + std::string(text) + "\": \"" + host +
                        "\" is not an IPv4 address (names are not resolved; " + kUsage + ")");
    }
    out.length = sizeof(sockaddr_in);
    out.text = host + ":" + std::to_string(port);
  }
  return out;
}

Result<std::unique_ptr<MetricsHttpServer>> MetricsHttpServer::start(
    const MetricsEndpoint& endpoint, Render render, MetricsHttpLimits limits) {
  const int family = endpoint.address.ss_family;
  int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  auto fail = [&](const char* what) -> Error {
    std::string message = std::string("metrics endpoint ") + endpoint.text + ": " + what + ": " +
                          std::strerror(errno);
    if (fd >= 0) ::close(fd);
    return make_error(message);
  };
  if (fd < 0) return fail("socket");
  int one = 1;
  (void)::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (family == AF_INET6) (void)::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&endpoint.address), endpoint.length) != 0)
    return fail("cannot bind");
  if (::listen(fd, 64) != 0) return fail("cannot listen");
  sockaddr_storage bound{};
  socklen_t length = sizeof bound;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length) != 0)
    return fail("getsockname");
  const uint16_t port = ntohs(family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                                 : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);

  std::unique_ptr<MetricsHttpServer> server(new MetricsHttpServer(std::move(render), port));
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
  if (family == AF_INET6) flags |= MHD_USE_IPv6;
  server->daemon_ = MHD_start_daemon(
      flags, 0, nullptr, nullptr,
      &answer, &server->render_,
      MHD_OPTION_EXTERNAL_LOGGER, &log_from_library, nullptr,  // first, or MHD complains
      MHD_OPTION_LISTEN_SOCKET, fd,
      MHD_OPTION_CONNECTION_LIMIT, limits.max_connections,
      MHD_OPTION_CONNECTION_TIMEOUT, limits.timeout_seconds,
      MHD_OPTION_END);
  if (!server->daemon_) {
    errno = EINVAL;
    return fail("libmicrohttpd could not start");
  }
  return server;
}

MetricsHttpServer::~MetricsHttpServer() {
  if (daemon_) MHD_stop_daemon(daemon_);  // closes the listening socket too
}

}  // namespace flowpath::control
