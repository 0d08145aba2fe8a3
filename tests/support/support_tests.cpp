// Tests of the test tools themselves, against real clients (curl), without the proxy.

#include "tests/support/http_text.hpp"
#include "tests/support/process.hpp"
#include "tests/support/raw_tls_client.hpp"
#include "tests/support/recording_upstream.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_pki.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/ip/address.hpp>

using namespace cba::test;
using namespace std::chrono_literals;

TEST_CASE("chunked encoding round-trips and rejects a bad size", "[support]") {
  std::string body(2500, 'x');
  body[1234] = 'y';
  std::string wire = encode_chunked(body, 1000) + "rest";
  chunked_decoder decoder;
  std::string out;
  std::string part1 = wire.substr(0, 700);
  std::string part2 = wire.substr(700);
  decoder.feed(part1, out);
  CHECK_FALSE(decoder.done());
  part1 += part2;
  decoder.feed(part1, out);
  CHECK(decoder.done());
  CHECK(out == body);
  CHECK(part1 == "rest");

  chunked_decoder bad;
  std::string in = "zz\r\nabc\r\n";
  bad.feed(in, out);
  CHECK(bad.failed());
}

TEST_CASE("parse_head splits start line and headers", "[support]") {
  auto head = parse_head("GET /x HTTP/1.1\r\nHost: a\r\nX-A:  1 \r\nx-a: 2\r\n\r\n");
  REQUIRE(head);
  CHECK(head->start_line == "GET /x HTTP/1.1");
  CHECK(find_headers(head->headers, "X-A") == std::vector<std::string>{"1", "2"});
  CHECK(find_head_end("a\r\n\r\nb") == 5);
  CHECK(has_token({{"Connection", "keep-alive, Close"}}, "connection", "close"));
}

TEST_CASE("run_process captures output and exit status, kills at the deadline", "[support]") {
  auto r = run_process({"sh", "-c", "echo out; echo err >&2; exit 3"}, 10s);
  CHECK(r.exit_code == 3);
  CHECK(r.out == "out\n");
  CHECK(r.err == "err\n");
  CHECK_FALSE(r.timed_out);

  auto cat = run_process({"cat"}, 10s, "stdin data");
  CHECK(cat.ok());
  CHECK(cat.out == "stdin data");

  auto held = run_process({"sh", "-c", "cat; echo done"}, 10s, "x", 300ms);
  CHECK(held.out == "xdone\n");

  auto slow = run_process({"sleep", "30"}, 300ms);
  CHECK(slow.timed_out);
  CHECK(slow.signal == 9);
}

TEST_CASE("recording upstream records a curl request and echoes headers", "[support]") {
  recording_upstream up;
  upstream_behaviour b;
  b.echo = echo_mode::json;
  up.set_behaviour(b);
  temp_dir tmp;
  auto body_file = tmp.write("body", "hello body");
  auto r = run_process({"curl", "-sS", "--max-time", "20", "-H", "X-Test: one", "--data-binary", "@" + body_file,
                        up.url() + "/path?q=1"},
                       30s);
  REQUIRE(r.ok());
  CHECK(r.out.find("\"X-Test\": \"one\"") != std::string::npos);
  REQUIRE(up.wait_for_requests(1, 5s));
  auto rec = up.request(0);
  REQUIRE(rec);
  CHECK(rec->method == "POST");
  CHECK(rec->target == "/path?q=1");
  CHECK(rec->header("x-test") == "one");
  CHECK(rec->body == "hello body");
  CHECK(rec->complete);
  CHECK_FALSE(rec->chunked);
  CHECK(rec->raw_head.rfind("POST /path?q=1 HTTP/1.1\r\n", 0) == 0);
  CHECK(up.connection_count() == 1);
}

TEST_CASE("recording upstream: chunked both ways, 100-continue, keep-alive", "[support]") {
  recording_upstream up;
  upstream_behaviour b;
  b.chunked_response = true;
  b.response_chunk_size = 7;
  b.body = std::string(100, 'r');
  up.set_behaviour(b);
  temp_dir tmp;
  std::string big(200000, 'c');
  auto body_file = tmp.write("body", big);
  auto r = run_process({"curl", "-sS", "--max-time", "20", "-H", "Transfer-Encoding: chunked", "-H",
                        "Expect: 100-continue", "--data-binary", "@" + body_file, up.url() + "/a", "--next",
                        "-sS", "--max-time", "20", up.url() + "/b"},
                       30s);
  REQUIRE(r.ok());
  CHECK(r.out == b.body + b.body);
  REQUIRE(up.wait_for_requests(2, 5s));
  auto reqs = up.requests();
  CHECK(reqs[0].chunked);
  CHECK(reqs[0].body == big);
  CHECK(reqs[1].target == "/b");
  CHECK(up.connection_count() == 1);  // curl reused the connection
}

TEST_CASE("recording upstream over TLS and streaming progress seen by the raw client", "[support]") {
  const auto& pki = test_pki::get();
  recording_upstream::options opts;
  opts.certificate_chain = pki.chain("upstream");
  opts.private_key = pki.key("upstream");
  recording_upstream up(opts);

  auto r = run_process({"curl", "-sS", "--max-time", "20", "--cacert", pki.cert("upstream-ca"), up.url() + "/tls"}, 30s);
  REQUIRE(r.ok());
  CHECK(r.out == "upstream ok\n");

  raw_tls_client client;
  tls_client_options copts;
  copts.ca_file = pki.cert("upstream-ca");
  copts.server_name = "upstream.example.test";
  boost::asio::ip::tcp::endpoint ep(boost::asio::ip::make_address("127.0.0.1"), up.port());
  REQUIRE_FALSE(client.connect(ep, copts, 10s));
  std::string head = "PUT /up HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n";
  REQUIRE_FALSE(client.write(head + "01234", 10s));
  CHECK(up.wait_until([](const upstream_progress& p) { return p.body_bytes >= 5; }, 10s));
  CHECK(up.requests().at(1).complete == false);
  REQUIRE_FALSE(client.write("56789", 10s));
  auto resp = client.read_final_response(10s);
  REQUIRE(resp);
  CHECK(resp->status == 200);
  CHECK(resp->body == "upstream ok\n");
  auto rec = up.request(1);
  REQUIRE(rec);
  CHECK(rec->body == "0123456789");
  CHECK(rec->arrivals.size() == 2);
}

TEST_CASE("certificate helpers agree with openssl", "[support]") {
  const auto& pki = test_pki::get();
  auto fp = cert_sha256_hex(pki.cert("alice"));
  CHECK(fp.size() == 64);
  CHECK(fp.find_first_not_of("0123456789abcdef") == std::string::npos);
  auto der = run_process({"openssl", "x509", "-in", pki.cert("alice"), "-outform", "DER"}, 10s);
  REQUIRE(der.ok());
  CHECK(sha256_hex(der.out) == fp);
  CHECK_FALSE(cert_serial_hex(pki.cert("alice")).empty());
  CHECK(cert_der_base64(pki.cert("alice")).size() > 100);
}
