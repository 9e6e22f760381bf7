// Fixed-capacity history for incremental indicators: allocated once, never per bar.
#pragma once

#include <cstddef>
#include <vector>

namespace axion::sdk::ind {

// back(0) is the newest value, back(k) the one k pushes earlier; at(i) counts from the oldest kept.
template <class T>
class Ring {
 public:
  explicit Ring(std::size_t capacity = 1) : buf_(capacity ? capacity : 1) {}

  // Indices wrap by comparison, not `%`: a division per access was most of what window
  // indicators cost.
  void push(const T& v) {
    if (++head_ == buf_.size()) head_ = 0;
    buf_[head_] = v;
    if (size_ < buf_.size()) ++size_;
  }
  const T& back(std::size_t k = 0) const {  // k < size()
    return buf_[head_ >= k ? head_ - k : head_ + buf_.size() - k];
  }
  // Calls fn on the newest m values (m ≤ size()), oldest to newest, as at most two contiguous runs.
  template <class Fn>
  void for_each_last(std::size_t m, Fn&& fn) const {
    if (m == 0) return;
    const std::size_t n = buf_.size();
    const std::size_t first = head_ + 1 >= m ? head_ + 1 - m : head_ + 1 + n - m;  // back(m - 1)
    const T* p = buf_.data();
    const std::size_t run = first + m <= n ? m : n - first;
    for (std::size_t i = 0; i < run; ++i) fn(p[first + i]);
    for (std::size_t i = 0; i < m - run; ++i) fn(p[i]);
  }
  const T& at(std::size_t i) const { return back(size_ - 1 - i); }
  std::size_t size() const { return size_; }
  std::size_t capacity() const { return buf_.size(); }
  bool full() const { return size_ == buf_.size(); }
  bool empty() const { return size_ == 0; }
  void clear() {
    size_ = 0;
    head_ = buf_.size() - 1;
  }

 private:
  std::vector<T> buf_;
  std::size_t head_ = buf_.size() - 1;
  std::size_t size_ = 0;
};

// Mean of the newest min(m, size) values of `r` in oldest-to-newest order (the order a direct
// computation over the array uses, so the sums agree bit for bit); 0 when empty.
template <class T, class Get>
inline double mean_last(const Ring<T>& r, std::size_t m, Get get) {
  std::size_t k = m < r.size() ? m : r.size();
  if (k == 0) return 0.0;
  double s = 0;
  r.for_each_last(k, [&](const T& v) { s += get(v); });
  return s / static_cast<double>(k);
}

inline double mean_last(const Ring<double>& r, std::size_t m) {
  return mean_last(r, m, [](double x) { return x; });
}

}  // namespace axion::sdk::ind
