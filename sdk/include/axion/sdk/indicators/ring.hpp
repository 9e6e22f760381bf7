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

  void push(const T& v) {
    head_ = (head_ + 1) % buf_.size();
    buf_[head_] = v;
    if (size_ < buf_.size()) ++size_;
  }
  const T& back(std::size_t k = 0) const { return buf_[(head_ + buf_.size() - k) % buf_.size()]; }
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
  for (std::size_t i = k; i-- > 0;) s += get(r.back(i));
  return s / static_cast<double>(k);
}

inline double mean_last(const Ring<double>& r, std::size_t m) {
  return mean_last(r, m, [](double x) { return x; });
}

}  // namespace axion::sdk::ind
