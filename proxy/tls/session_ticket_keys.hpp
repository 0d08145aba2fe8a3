#pragma once
// The keys that encrypt and authenticate TLS session tickets (listeners[].tls.session_tickets).
//
// A key file holds nginx's ssl_session_ticket_key format, so the same files and rotation tooling work
// for both: 80 bytes = name[16] hmac_key[32] aes_key[32] (AES-256-CBC + HMAC-SHA256), or the legacy
// 48 bytes = name[16] aes_key[16] hmac_key[16] (AES-128-CBC + HMAC-SHA256). Make one with
// `openssl rand 80 > ticket.key`. The first file encrypts new tickets; every file decrypts, so
// rotation is: prepend a new file, SIGHUP, and drop the oldest after the ticket lifetime.
// Without files, one random key lives as long as this object (tickets die with the process).

#include "proxy/tls/ossl.hpp"

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cba::tls {

struct ticket_key {
  std::array<unsigned char, 16> name{};  // sent in clear in every ticket: selects the decrypting key
  std::vector<unsigned char> hmac_key;   // 16 or 32 bytes
  std::vector<unsigned char> aes_key;    // 16 (AES-128-CBC) or 32 (AES-256-CBC) bytes
  std::string source;                    // the file, or "random", for logs (never the key bytes)

  ticket_key() = default;
  ticket_key(const ticket_key&) = default;
  ticket_key& operator=(const ticket_key&) = default;
  ~ticket_key();  // wipes the key bytes
};

// One key file's bytes; nullopt with *error set when the size is neither 80 nor 48.
std::optional<ticket_key> parse_ticket_key(std::string_view bytes, std::string* error);

class session_ticket_keys : public std::enable_shared_from_this<session_ticket_keys> {
 public:
  // Reads every file (all or nothing); throws std::runtime_error naming the file (start-up only).
  // `key_files` empty: one random 80-byte key.
  static std::shared_ptr<session_ticket_keys> create(std::vector<std::string> key_files);

  session_ticket_keys(const session_ticket_keys&) = delete;
  session_ticket_keys& operator=(const session_ticket_keys&) = delete;

  // Re-reads the files and swaps the whole set at once; on any problem keeps the current keys and
  // returns why. With no files (random key) this keeps the key: nothing to re-read.
  std::optional<std::string> reload();

  // Makes `ctx` encrypt and decrypt tickets with these keys (SSL_CTX_set_tlsext_ticket_key_evp_cb).
  // The context keeps the keys alive.
  void install(SSL_CTX* ctx);

  // Hex names of the current keys, encrypting key first (for logs and tests).
  std::vector<std::string> key_names() const;
  const std::vector<std::string>& files() const noexcept { return files_; }
  // Counts successful reloads: what depends on "the keys were reloaded" (resumption_policy's verdict
  // cache) compares it.
  std::uint64_t generation() const noexcept { return generation_.load(std::memory_order_acquire); }

 private:
  using key_set = std::vector<ticket_key>;
  explicit session_ticket_keys(std::vector<std::string> files) : files_(std::move(files)) {}
  static std::shared_ptr<const key_set> read_files(const std::vector<std::string>& files, std::string* error);
  std::shared_ptr<const key_set> current() const;
  static int callback(SSL* ssl, unsigned char* name, unsigned char* iv, EVP_CIPHER_CTX* cipher,
                      EVP_MAC_CTX* mac, int encrypt);
  int encrypt_or_decrypt(unsigned char* name, unsigned char* iv, EVP_CIPHER_CTX* cipher, EVP_MAC_CTX* mac,
                         int encrypt) const;

  const std::vector<std::string> files_;
  mutable std::mutex mutex_;  // guards keys_ (the pointer; a key set never changes once published)
  std::shared_ptr<const key_set> keys_;
  std::atomic<std::uint64_t> generation_{0};
};

}  // namespace cba::tls
