// A client that sends one HTTP request over a plain socket and leaves the answer unread, so a
// test decides when it goes away (close()) - what a user's Ctrl-C or a timed-out client does
// to a request that is still queued or whose answer is not streamed.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

namespace tb::serve::testing {

// Connects to `url` ("http://127.0.0.1:PORT"), sends POST `path` with the JSON `body`, returns
// the socket (-1 when the connection failed).
inline int send_post(const std::string& url, const std::string& path, const std::string& body) {
    const std::string hp = url.substr(url.find("//") + 2);
    const size_t colon = hp.rfind(':');
    const std::string host = hp.substr(0, colon);
    const int port = std::stoi(hp.substr(colon + 1));
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    if (::inet_pton(AF_INET, host.c_str(), &a.sin_addr) != 1 ||
        ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        return -1;
    }
    const std::string req =
        "POST " + path + " HTTP/1.1\r\nHost: " + hp +
        "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
        "\r\n\r\n" + body;
    for (size_t off = 0; off < req.size();) {
        const ssize_t n = ::send(fd, req.data() + off, req.size() - off, MSG_NOSIGNAL);
        if (n <= 0) {
            ::close(fd);
            return -1;
        }
        off += static_cast<size_t>(n);
    }
    return fd;
}

}  // namespace tb::serve::testing
