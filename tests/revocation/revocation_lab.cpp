#include "tests/revocation/revocation_lab.hpp"

#include "proxy/tls/pem.hpp"
#include "tests/support/process.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <stdexcept>

namespace cba::test {
namespace {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

const std::string script = std::string(CBA_SOURCE_DIR) + "/tests/revocation/make-revocation-pki.sh";

void run_or_throw(const std::vector<std::string>& argv) {
  auto r = run_process(argv, std::chrono::seconds(60));
  if (!r.ok()) throw std::runtime_error(argv[0] + " " + argv[1] + ": " + r.describe());
}

}  // namespace

struct revocation_lab::server_state {
  asio::io_context io;
  tcp::acceptor acceptor{io, {asio::ip::make_address("127.0.0.1"), 0}};
};

revocation_lab::revocation_lab() : dir_("cba-revocation"), server_(std::make_unique<server_state>()) {
  port_ = server_->acceptor.local_endpoint().port();
  run_or_throw({"bash", script, dir_.path().string(), std::to_string(port_)});
  thread_ = std::thread([this] { serve(); });
}

revocation_lab::~revocation_lab() {
  // A blocking accept() does not notice close() from another thread: wake it with a connection.
  stopping_ = true;
  {
    boost::system::error_code ignored;
    asio::io_context io;
    tcp::socket wake(io);
    wake.connect({asio::ip::make_address("127.0.0.1"), port_}, ignored);
  }
  if (thread_.joinable()) thread_.join();
}

std::string revocation_lab::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

void revocation_lab::revoke(const std::string& ca, const std::string& leaf) {
  run_or_throw({"bash", script, "--revoke", dir_.path().string(), ca, leaf});
  gencrl(ca);
}

void revocation_lab::gencrl(const std::string& ca, long seconds) {
  run_or_throw({"bash", script, "--gencrl", dir_.path().string(), ca, std::to_string(seconds)});
}

revocation::checker::chain revocation_lab::chain(const std::string& leaf) const {
  revocation::checker::chain out;
  for (const auto& name : {leaf, std::string("issuing-ca"), std::string("root-ca")}) {
    auto certs = tls::read_certificates(file(name + ".pem"));
    if (!certs) throw std::runtime_error(name + ": " + certs.error);
    out.push_back(std::move(certs.value.front()));
  }
  return out;
}

config::trust_config revocation_lab::trust() const {
  config::trust_config t;
  t.roots = file("roots.pem");
  t.intermediates = file("intermediates.pem");
  return t;
}

std::size_t revocation_lab::hits(const std::string& path) const {
  std::lock_guard lock(mutex_);
  auto it = hits_.find(path);
  return it == hits_.end() ? 0 : it->second;
}

void revocation_lab::serve_instead(const std::string& path, std::string body) {
  std::lock_guard lock(mutex_);
  overrides_[path] = std::move(body);
}

void revocation_lab::serve() {
  for (;;) {
    tcp::socket socket(server_->io);
    boost::system::error_code ec;
    server_->acceptor.accept(socket, ec);
    if (stopping_) return;
    if (ec) continue;
    if (down_) continue;  // the socket closes unanswered
    boost::beast::flat_buffer buffer;
    bhttp::request<bhttp::string_body> req;
    bhttp::read(socket, buffer, req, ec);
    if (ec) continue;
    {
      std::lock_guard lock(mutex_);
      ++hits_[std::string(req.target())];
    }
    if (const long delay = delay_ms_.load(); delay > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay));
    unsigned status = 200;
    std::string body = answer(std::string(req.method_string()), std::string(req.target()), req.body(), status);
    bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(status), 11};
    res.set(bhttp::field::content_type, req.method() == bhttp::verb::post ? "application/ocsp-response"
                                                                          : "application/pkix-crl");
    res.set(bhttp::field::connection, "close");
    res.body() = std::move(body);
    res.prepare_payload();
    bhttp::write(socket, res, ec);
    socket.shutdown(tcp::socket::shutdown_both, ec);
  }
}

std::string revocation_lab::answer(const std::string& method, const std::string& target, const std::string& body,
                                   unsigned& status) {
  {
    std::lock_guard lock(mutex_);
    if (auto it = overrides_.find(target); it != overrides_.end()) return it->second;
  }
  try {
    if (method == "GET" && target.size() > 5 && target.ends_with(".crl")) {
      return read_file(file(target.substr(1) + ".der"));  // CDPs serve DER, as AD CS does
    }
    if (method == "POST" && target.starts_with("/ocsp/")) {
      const std::string ca = target.substr(6);
      const std::string signer = ca == "issuing-ca" ? "ocsp-issuing" : ca;
      std::size_t seq = 0;
      {
        std::lock_guard lock(mutex_);
        seq = ++ocsp_seq_;
      }
      const std::string req = dir_.write("ocsp-req-" + std::to_string(seq) + ".der", body);
      const std::string resp = file("ocsp-resp-" + std::to_string(seq) + ".der");
      auto r = run_process({"openssl", "ocsp", "-index", file(ca + "/index.txt"), "-CA", file(ca + ".pem"),
                            "-rsigner", file(signer + ".pem"), "-rkey", file(signer + ".key"), "-reqin", req,
                            "-respout", resp, "-ndays", "1"},
                           std::chrono::seconds(30));
      if (r.ok()) return read_file(resp);
    }
  } catch (const std::exception&) {
  }
  status = 404;
  return "not found\n";
}

}  // namespace cba::test
