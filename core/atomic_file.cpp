#include "atomic_file.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

#include "errors.hpp"

namespace moe {
namespace {

std::string mebibytes(uint64_t bytes) { return std::to_string(bytes >> 20) + " MiB"; }

std::string fileKind(mode_t mode) {
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
    if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device";
    if (S_ISSOCK(mode)) return "a socket";
    return "not a regular file";
}

// Closes the descriptor on every path out.
struct Fd {
    int fd;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

}  // namespace

void writeFileAtomic(const std::string& path, std::string_view bytes) {
    const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
    {
        std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
        if (!f) throw InputError(path, std::string("cannot write: ") + std::strerror(errno));
        f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        f.flush();
        if (!f) {
            std::remove(tmp.c_str());
            throw InputError(path, "write failed (disk full?)");
        }
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        const std::string why = std::strerror(errno);
        std::remove(tmp.c_str());
        throw InputError(path, "cannot rename into place: " + why);
    }
}

void checkWritable(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
        throw InputError(path, "cannot write: it is a directory");
    const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd < 0) throw InputError(path, std::string("cannot write: ") + std::strerror(errno));
    ::close(fd);
    ::unlink(tmp.c_str());
}

std::string readFile(const std::string& path, uint64_t maxBytes) {
    // O_NONBLOCK: opening a FIFO must not wait for a writer; fstat then refuses it.
    Fd f{::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC)};
    if (f.fd < 0) throw InputError(path, std::string("cannot open: ") + std::strerror(errno));
    struct stat st {};
    if (::fstat(f.fd, &st) != 0) throw InputError(path, std::string("cannot read: ") + std::strerror(errno));
    if (!S_ISREG(st.st_mode)) throw InputError(path, "is " + fileKind(st.st_mode) + ", not a file moelab can read");
    if (uint64_t(st.st_size) > maxBytes)
        throw InputError(path, "is " + std::to_string(st.st_size) + " bytes, over the limit of " + mebibytes(maxBytes));
    std::string out(static_cast<size_t>(st.st_size), '\0');
    size_t got = 0;
    const auto readSome = [&](char* to, size_t room) {
        for (;;) {
            const ssize_t n = ::read(f.fd, to, room);
            if (n >= 0) return static_cast<size_t>(n);
            if (errno != EINTR) throw InputError(path, std::string("read failed: ") + std::strerror(errno));
        }
    };
    for (;;) {
        if (got == out.size()) {  // the size fstat gave is read (or was 0, as in /proc): is there more?
            char more[4096];
            const size_t n = readSome(more, sizeof more);
            if (n == 0) break;
            if (got + n > maxBytes) throw InputError(path, "is over the limit of " + mebibytes(maxBytes));
            out.append(more, n);
            got += n;
            continue;
        }
        const size_t n = readSome(out.data() + got, out.size() - got);
        if (n == 0) break;
        got += n;
    }
    out.resize(got);
    return out;
}

}  // namespace moe
