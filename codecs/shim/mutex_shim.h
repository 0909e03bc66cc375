/* std::mutex and std::lock_guard for libc++ built without threads (Debian's wasm32 libc++),
 * where <mutex> leaves them out: libde265 guards its one-time initialisation with them, and in
 * a single-threaded wasm instance there is nothing to guard. Force-included into C++ files. */
#ifndef EDGE_CODECS_MUTEX_SHIM_H
#define EDGE_CODECS_MUTEX_SHIM_H
#include <mutex>
namespace std {
struct mutex {
    void lock() {}
    void unlock() {}
    bool try_lock() { return true; }
};
template <class M> struct lock_guard {
    explicit lock_guard(M &m) : held(m) { held.lock(); }
    ~lock_guard() { held.unlock(); }
    lock_guard(const lock_guard &) = delete;
    lock_guard &operator=(const lock_guard &) = delete;
    M &held;
};
}
#endif
