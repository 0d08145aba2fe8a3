// Bodies: a 40 MiB upload streams through (the upstream sees it while it is being sent), the route's
// max_body_bytes gives 413, chunked bodies both ways, Expect: 100-continue.

#include "tests/integration/proxy_fixture.hpp"

#include <catch2/catch.hpp>

using namespace cba::test;
using namespace std::chrono_literals;

namespace {

constexpr std::size_t mib = 1024 * 1024;

std::string post_head(std::string_view path, std::string_view framing) {
  return "POST " + std::string(path) + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/octet-stream\r\n" +
         std::string(framing) + "\r\n\r\n";
}

}  // namespace

TEST_CASE("a 40 MiB upload streams: the upstream sees bytes while the client is still sending", "[body][slow]") {
  proxy_fixture fx;
  const std::string body = pattern_bytes(40 * mib, 7);
  auto c = fx.connect();
  REQUIRE_FALSE(c->write(post_head("/upload/raw", "Content-Length: " + std::to_string(body.size())), 10s));
  REQUIRE_FALSE(c->write(std::string_view(body).substr(0, mib), 20s));
  // 39 MiB are still unsent: any body byte upstream now proves the proxy does not buffer the whole body.
  CHECK(fx.upstream().wait_until([](const upstream_progress& p) { return p.body_bytes > 0; }, 20s));
  CHECK(fx.upstream().progress().requests_complete == 0);
  REQUIRE_FALSE(c->write(std::string_view(body).substr(mib), 120s));
  auto r = c->read_final_response(60s);
  REQUIRE(r);
  CHECK(r->status == 200);
  REQUIRE(fx.upstream().wait_for_requests(1, 10s));
  auto req = *fx.upstream().request(0);
  CHECK(req.body.size() == body.size());
  CHECK(sha256_hex(req.body) == sha256_hex(body));
  CHECK(req.arrivals.size() > 1);
}

TEST_CASE("a 40 MiB upload with curl arrives intact", "[body][slow]") {
  proxy_fixture fx;
  temp_dir tmp;
  const std::string body = pattern_bytes(40 * mib, 11);
  auto file = tmp.write("upload.bin", body);
  auto r = fx.curl("alice", "/upload/curl", {"--data-binary", "@" + file, "-H", "Content-Type: application/octet-stream"},
                   120s);
  INFO(r.describe());
  CHECK(r.status == 200);
  REQUIRE(fx.upstream().wait_for_requests(1, 10s));
  auto req = *fx.upstream().request(0);
  CHECK(req.body.size() == body.size());
  CHECK(sha256_hex(req.body) == sha256_hex(body));
}

TEST_CASE("a Content-Length over max_body_bytes gets 413 without contacting the upstream", "[body]") {
  proxy_fixture fx;
  auto c = fx.connect();
  REQUIRE_FALSE(c->write(post_head("/limited/x", "Content-Length: " + std::to_string(2 * mib)), 10s));
  auto r = c->read_final_response(15s);
  REQUIRE(r);
  INFO(r->body);
  CHECK(r->status == 413);
  CHECK(r->body.find("reason: body_too_large") != std::string::npos);
  CHECK(fx.upstream().progress().connections == 0);
}

TEST_CASE("a chunked body growing over max_body_bytes gets 413 while streaming", "[body]") {
  proxy_fixture fx;
  auto c = fx.connect();
  REQUIRE_FALSE(c->write(post_head("/limited/x", "Transfer-Encoding: chunked"), 10s));
  const std::string body = pattern_bytes(mib + 64 * 1024, 3);
  // The write may fail once the proxy stops reading; the 413 must still be readable.
  auto ec = c->write(encode_chunked(body, 16 * 1024), 20s);
  CAPTURE(ec.message());
  auto r = c->read_final_response(15s);
  INFO("read error: " << c->last_error().message());
  REQUIRE(r);
  CHECK(r->status == 413);
  CHECK(fx.upstream().progress().requests_complete == 0);
}

TEST_CASE("a body at max_body_bytes passes", "[body]") {
  proxy_fixture fx;
  auto c = fx.connect();
  const std::string body = pattern_bytes(mib, 5);
  REQUIRE_FALSE(c->write(post_head("/limited/x", "Transfer-Encoding: chunked") + encode_chunked(body, 100000), 20s));
  auto r = c->read_final_response(15s);
  REQUIRE(r);
  CHECK(r->status == 200);
  REQUIRE(fx.upstream().wait_for_requests(1, 5s));
  CHECK(sha256_hex(fx.upstream().request(0)->body) == sha256_hex(body));
}

TEST_CASE("a chunked request body arrives intact", "[body]") {
  proxy_fixture fx;
  temp_dir tmp;
  const std::string body = pattern_bytes(300000, 9);
  auto file = tmp.write("chunked.bin", body);
  auto r = fx.curl("alice", "/chunked", {"-H", "Transfer-Encoding: chunked", "--data-binary", "@" + file});
  INFO(r.describe());
  CHECK(r.status == 200);
  REQUIRE(fx.upstream().wait_for_requests(1, 5s));
  auto req = *fx.upstream().request(0);
  INFO("upstream received head:\n" << req.raw_head);
  const auto progress = fx.upstream().progress();
  INFO("upstream raw bytes " << progress.raw_bytes << ", requests started " << progress.requests_started);
  INFO("body as framed on the wire starts: " << escape_bytes(req.wire_body_prefix, 48));
  CHECK(req.body.size() == body.size());
  CHECK(sha256_hex(req.body) == sha256_hex(body));
}

TEST_CASE("a last chunk arriving on its own ends the request once; the upstream connection stays usable",
          "[body]") {
  proxy_fixture fx;
  auto c = fx.connect();
  REQUIRE_FALSE(c->write(post_head("/chunked", "Transfer-Encoding: chunked") + "5\r\nhello\r\n", 10s));
  REQUIRE(fx.upstream().wait_until([](const upstream_progress& p) { return p.body_bytes >= 5; }, 10s));
  REQUIRE_FALSE(c->write("0\r\n\r\n", 10s));  // read by the proxy as a piece of its own
  auto first = c->read_final_response(15s);
  REQUIRE(first);
  CHECK(first->status == 200);
  REQUIRE_FALSE(c->write("GET /next HTTP/1.1\r\nHost: localhost\r\n\r\n", 10s));
  auto second = c->read_final_response(15s);
  REQUIRE(second);
  CHECK(second->status == 200);

  REQUIRE(fx.upstream().wait_for_requests(2, 5s));
  const auto req = *fx.upstream().request(0);
  CHECK(req.body == "hello");
  CHECK(req.wire_body_prefix == "5\r\nhello\r\n0\r\n\r\n");  // one last-chunk, not two
  CHECK(fx.upstream().request(1)->target == "/next");
  // A second terminator would have reached the upstream as a malformed request and cost the pooled
  // connection; the next request went over the same one.
  CHECK(fx.upstream().progress().connections == 1);
}

TEST_CASE("a chunked response from the upstream arrives intact", "[body]") {
  proxy_fixture fx;
  upstream_behaviour b;
  b.chunked_response = true;
  b.response_chunk_size = 4093;
  b.body = pattern_bytes(500000, 13);
  b.content_type = "application/octet-stream";
  fx.upstream().set_behaviour(b);
  temp_dir tmp;
  auto out = tmp.file("response.bin");
  auto r = fx.curl("alice", "/chunked-response", {"-o", out, "-D", tmp.file("head.txt")});
  INFO("response head at curl:\n" << read_file(tmp.file("head.txt")));
  INFO(r.describe());
  CHECK(r.status == 200);
  CHECK(sha256_hex(read_file(out)) == sha256_hex(b.body));
}

TEST_CASE("a HEAD answered with chunked framing gets the head only; the next response on the connection is intact",
          "[body]") {
  proxy_fixture fx;
  upstream_behaviour b;
  b.chunked_response = true;
  fx.upstream().set_behaviour(b);
  auto c = fx.connect();
  REQUIRE_FALSE(c->write("HEAD /head HTTP/1.1\r\nHost: localhost\r\n\r\n", 10s));
  auto head = c->read_head(15s);
  REQUIRE(head);
  CHECK(head->status == 200);
  CHECK(head->header("Transfer-Encoding") == "chunked");
  // A body (even a lone last chunk) after a HEAD response would be read as the start of the next one.
  REQUIRE_FALSE(c->write("GET /next HTTP/1.1\r\nHost: localhost\r\n\r\n", 10s));
  auto next = c->read_final_response(15s);
  INFO((next ? next->raw_head : std::string("no response")));
  REQUIRE(next);
  CHECK(next->status == 200);
  CHECK(next->body == b.body);
}

TEST_CASE("Expect: 100-continue gets 100 before the body is sent, then completes", "[body]") {
  proxy_fixture fx;
  const std::string body = pattern_bytes(200000, 17);
  auto c = fx.connect();
  REQUIRE_FALSE(c->write(post_head("/upload/expect", "Content-Length: " + std::to_string(body.size()) +
                                                          "\r\nExpect: 100-continue"),
                         10s));
  auto interim = c->read_response(10s);
  REQUIRE(interim);
  CHECK(interim->status == 100);
  REQUIRE_FALSE(c->write(body, 20s));
  auto r = c->read_final_response(15s);
  REQUIRE(r);
  CHECK(r->status == 200);
  REQUIRE(fx.upstream().wait_for_requests(1, 5s));
  CHECK(sha256_hex(fx.upstream().request(0)->body) == sha256_hex(body));
}

TEST_CASE("curl with Expect: 100-continue completes", "[body]") {
  proxy_fixture fx;
  temp_dir tmp;
  const std::string body = pattern_bytes(2 * mib, 19);
  auto file = tmp.write("expect.bin", body);
  auto r = fx.curl("alice", "/upload/curl-expect", {"-H", "Expect: 100-continue", "--data-binary", "@" + file});
  INFO(r.describe());
  CHECK(r.status == 200);
  REQUIRE(fx.upstream().wait_for_requests(1, 5s));
  CHECK(sha256_hex(fx.upstream().request(0)->body) == sha256_hex(body));
}
