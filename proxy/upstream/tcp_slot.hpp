#pragma once
// The TCP layer under an upstream connection, replaceable in place.
//
// A pooled connection is created on one session's executor and may later serve a session on another
// (another io_context, or another strand). An Asio socket's executor is fixed at construction, so
// handing the connection over means moving the file descriptor into a new socket (and a new
// beast::tcp_stream, whose deadline timer is bound to the same executor) on the new executor. The TLS layer sits *above* this slot and keeps its
// SSL object and buffered records untouched, which is why the slot exists: beast::ssl_stream cannot
// have its next layer swapped, but it can hold a layer whose inside is swapped.

#include <boost/asio/any_io_executor.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <unistd.h>

#include <memory>
#include <utility>

namespace cba::upstream {

class tcp_slot {
public:
  using executor_type = boost::beast::tcp_stream::executor_type;
  using lowest_layer_type = boost::beast::tcp_stream::socket_type;

  explicit tcp_slot(boost::beast::tcp_stream stream)
      : stream_(std::make_unique<boost::beast::tcp_stream>(std::move(stream))) {}

  executor_type get_executor() noexcept { return stream_->get_executor(); }
  lowest_layer_type& lowest_layer() noexcept { return stream_->socket(); }
  const lowest_layer_type& lowest_layer() const noexcept { return stream_->socket(); }
  boost::beast::tcp_stream& stream() noexcept { return *stream_; }
  const boost::beast::tcp_stream& stream() const noexcept { return *stream_; }

  template <class MutableBufferSequence, class ReadToken>
  auto async_read_some(const MutableBufferSequence& buffers, ReadToken&& token) {
    return stream_->async_read_some(buffers, std::forward<ReadToken>(token));
  }

  template <class ConstBufferSequence, class WriteToken>
  auto async_write_some(const ConstBufferSequence& buffers, WriteToken&& token) {
    return stream_->async_write_some(buffers, std::forward<WriteToken>(token));
  }

  // Moves the open socket onto `ex`. Precondition: no operation is pending. On failure the socket
  // is closed and `ec` says why.
  void rebind(const executor_type& ex, boost::system::error_code& ec) {
    auto& old = stream_->socket();
    const auto protocol = old.local_endpoint(ec).protocol();
    if (ec) {
      return;
    }
    const auto fd = old.release(ec);
    if (ec) {
      return;
    }
    lowest_layer_type moved(ex);
    moved.assign(protocol, fd, ec);
    if (ec) {
      ::close(fd);  // released from the old socket and not adopted: nobody else will close it
      return;
    }
    stream_ = std::make_unique<boost::beast::tcp_stream>(std::move(moved));
  }

private:
  std::unique_ptr<boost::beast::tcp_stream> stream_;
};

}  // namespace cba::upstream
