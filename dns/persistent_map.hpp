#pragma once
// Internal: a sorted map whose copies share structure, so that a zone snapshot can be copied in
// O(1) and a batch of k edits costs O(k log n) instead of one O(n) copy per batch.
//
// It is a B+tree of immutable nodes held by shared_ptr<const node>. An edit copies the nodes on
// the path from the root to the leaf it changes (path copying) and shares every other node with
// the previous version, so older copies (published snapshots) never see the edit. A node that
// only this map references (use_count() == 1 along the whole path, as while a fresh zone is
// built) is edited in place instead: nothing else can observe it, and only the owner of the map
// ever copies node pointers, so the count cannot rise behind its back.

#include <algorithm>
#include <array>
#include <cassert>
#include <cstddef>
#include <memory>
#include <stdexcept>
#include <utility>
#include <vector>

namespace iotreg::dns::detail {

/// Sorted map K -> V with O(1) copy and O(log n) find / insert / erase by path copying.
/// @par Thread safety: const members of one object may run concurrently, and copies may be read
/// on other threads while the original is edited (they share only immutable nodes). Edits of one
/// object need one owner, like std::map.
template <class K, class V, class Less>
class persistent_map {
 public:
  using value_type = std::pair<K, V>;

 private:
  // Fan-out of leaves and inner nodes. Small leaves keep the per-edit copy cheap (values are
  // copied with their leaf); 32 keeps the tree at 4 levels for a million entries.
  static constexpr std::size_t max_items = 32;

  struct node;
  using node_ptr = std::shared_ptr<const node>;
  struct node {
    bool leaf = true;
    std::vector<value_type> items;  ///< leaf: sorted entries
    std::vector<K> first;           ///< inner: the smallest key below each child
    std::vector<node_ptr> children;
    std::size_t count() const noexcept { return leaf ? items.size() : children.size(); }
  };
  static constexpr int max_depth = 16;  // 32^16 entries: far beyond any zone

 public:
  class const_iterator {
   public:
    using value_type = persistent_map::value_type;
    using reference = const value_type&;
    using pointer = const value_type*;
    using difference_type = std::ptrdiff_t;
    using iterator_category = std::bidirectional_iterator_tag;

    const_iterator() = default;
    reference operator*() const noexcept { return leaf()->items[path_[depth_ - 1].second]; }
    pointer operator->() const noexcept { return &**this; }
    friend bool operator==(const const_iterator& a, const const_iterator& b) noexcept {
      if (a.at_end() || b.at_end()) return a.at_end() == b.at_end();
      return &*a == &*b;
    }

    const_iterator& operator++() noexcept {
      if (++path_[depth_ - 1].second < leaf()->items.size()) return *this;
      for (int d = depth_ - 2; d >= 0; --d) {
        if (path_[d].second + 1 < path_[d].first->children.size()) {
          ++path_[d].second;
          depth_ = d + 1;
          descend(false);
          return *this;
        }
      }
      depth_ = 0;  // end
      return *this;
    }
    const_iterator& operator--() noexcept {
      if (at_end()) {
        depth_ = 0;
        path_[0] = {root_, root_->count() - 1};
        depth_ = 1;
        descend(true);
        return *this;
      }
      if (path_[depth_ - 1].second > 0) {
        --path_[depth_ - 1].second;
        return *this;
      }
      for (int d = depth_ - 2; d >= 0; --d) {
        if (path_[d].second > 0) {
          --path_[d].second;
          depth_ = d + 1;
          descend(true);
          return *this;
        }
      }
      return *this;  // before begin(): undefined for std::map too
    }

   private:
    friend class persistent_map;
    bool at_end() const noexcept { return depth_ == 0; }
    const node* leaf() const noexcept { return path_[depth_ - 1].first; }
    /// From path_[depth_-1] (an inner node with a chosen child), down to a leaf: to its first
    /// (or last) entry.
    void descend(bool last) noexcept {
      for (;;) {
        const node* n = path_[depth_ - 1].first;
        if (n->leaf) return;
        const node* c = n->children[path_[depth_ - 1].second].get();
        path_[depth_++] = {c, last ? c->count() - 1 : 0};
      }
    }
    const node* root_ = nullptr;
    std::array<std::pair<const node*, std::size_t>, max_depth> path_{};
    int depth_ = 0;
  };

  persistent_map() = default;

  /// Entries per leaf that from_leaves() wants: three-quarters full, so that inserts right after
  /// a build do not split at once.
  static constexpr std::size_t leaf_fill = max_items * 3 / 4;

  /// Builds from entries sorted by key without duplicates, in O(n).
  static persistent_map from_sorted(std::vector<value_type>&& sorted) {
    std::vector<std::vector<value_type>> leaves;
    for (std::size_t i = 0; i < sorted.size(); i += leaf_fill) {
      const std::size_t end = std::min(sorted.size(), i + leaf_fill);
      leaves.emplace_back(std::make_move_iterator(sorted.begin() + static_cast<std::ptrdiff_t>(i)),
                          std::make_move_iterator(sorted.begin() + static_cast<std::ptrdiff_t>(end)));
    }
    return from_leaves(std::move(leaves));
  }

  /// Builds from ready leaves in O(n / leaf_fill), taking over their buffers (a full build makes
  /// them in place, on several threads, and never holds the zone twice). Preconditions: every
  /// leaf has 1..max_items entries sorted by key, and each leaf's keys are below the next one's.
  static persistent_map from_leaves(std::vector<std::vector<value_type>>&& leaves) {
    persistent_map m;
    std::vector<node_ptr> level;
    std::vector<K> firsts;
    level.reserve(leaves.size());
    firsts.reserve(leaves.size());
    for (auto& items : leaves) {
      assert(!items.empty() && items.size() <= max_items);
      auto n = std::make_shared<node>();
      m.size_ += items.size();
      n->items = std::move(items);
      firsts.push_back(n->items.front().first);
      level.push_back(std::move(n));
    }
    leaves.clear();
    while (level.size() > 1) {
      std::vector<node_ptr> up;
      std::vector<K> up_firsts;
      for (std::size_t i = 0; i < level.size(); i += leaf_fill) {
        auto n = std::make_shared<node>();
        n->leaf = false;
        const std::size_t end = std::min(level.size(), i + leaf_fill);
        for (std::size_t j = i; j < end; ++j) {
          n->first.push_back(std::move(firsts[j]));
          n->children.push_back(std::move(level[j]));
        }
        up_firsts.push_back(n->first.front());
        up.push_back(std::move(n));
      }
      level = std::move(up);
      firsts = std::move(up_firsts);
    }
    if (!level.empty()) m.root_ = std::move(level.front());
    return m;
  }

  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  void clear() noexcept {
    root_.reset();
    size_ = 0;
  }

  const_iterator begin() const noexcept {
    const_iterator it;
    it.root_ = root_.get();
    if (size_ == 0) return it;
    it.path_[0] = {root_.get(), 0};
    it.depth_ = 1;
    it.descend(false);
    return it;
  }
  const_iterator end() const noexcept {
    const_iterator it;
    it.root_ = root_.get();
    return it;
  }

  /// First entry whose key is not less than `k`.
  template <class Key>
  const_iterator lower_bound(const Key& k) const {
    const_iterator it = end();
    if (size_ == 0) return it;
    const node* n = root_.get();
    it.depth_ = 0;
    while (!n->leaf) {
      const std::size_t i = child_index(*n, k);
      it.path_[it.depth_++] = {n, i};
      n = n->children[i].get();
    }
    const auto pos =
        std::lower_bound(n->items.begin(), n->items.end(), k,
                         [](const value_type& e, const Key& key) { return Less{}(e.first, key); });
    it.path_[it.depth_++] = {n, static_cast<std::size_t>(pos - n->items.begin())};
    if (pos == n->items.end()) {
      // Past this leaf's last entry: the answer is the next leaf's first entry, or end().
      --it.path_[it.depth_ - 1].second;
      if (n->items.empty()) return end();
      ++it;
    }
    return it;
  }

  template <class Key>
  const_iterator find(const Key& k) const {
    const_iterator it = lower_bound(k);
    if (it != end() && !Less{}(k, it->first)) return it;
    return end();
  }
  template <class Key>
  const V* get(const Key& k) const {
    const auto it = find(k);
    return it == end() ? nullptr : &it->second;
  }
  /// @throw std::out_of_range if `k` is absent.
  template <class Key>
  const V& at(const Key& k) const {
    const V* v = get(k);
    if (v == nullptr) throw std::out_of_range("persistent_map::at");
    return *v;
  }
  template <class Key>
  bool contains(const Key& k) const {
    return find(k) != end();
  }

  /// Calls f(V&) on the entry for `k`, default-constructed first if absent. Copies the path to it
  /// unless this map owns it alone. `f` must not throw after changing the value partly.
  template <class F>
  void update(const K& k, F&& f) {
    if (!root_) root_ = std::make_shared<node>();
    node* n = own(root_);
    std::array<node*, max_depth> path{};
    int depth = 0;
    while (!n->leaf) {
      const std::size_t i = child_index(*n, k);
      if (Less{}(k, n->first[i])) n->first[i] = k;  // k becomes the smallest key below child 0
      path[depth++] = n;
      n = own(n->children[i]);
    }
    auto pos = std::lower_bound(n->items.begin(), n->items.end(), k,
                                [](const value_type& e, const K& key) { return Less{}(e.first, key); });
    if (pos == n->items.end() || Less{}(k, pos->first)) {
      pos = n->items.insert(pos, value_type(k, V{}));
      ++size_;
    }
    f(pos->second);
    split_up(path, depth, n);
  }

  /// Inserts or replaces the entry for `k`.
  void set(const K& k, V v) {
    update(k, [&](V& slot) { slot = std::move(v); });
  }

  /// Removes the entry for `k`. @returns false if there was none (nothing is copied then).
  bool erase(const K& k) {
    if (!contains(k)) return false;
    node* n = own(root_);
    std::array<std::pair<node*, std::size_t>, max_depth> path{};
    int depth = 0;
    while (!n->leaf) {
      const std::size_t i = child_index(*n, k);
      path[depth++] = {n, i};
      n = own(n->children[i]);
    }
    const auto pos = std::lower_bound(n->items.begin(), n->items.end(), k,
                                      [](const value_type& e, const K& key) { return Less{}(e.first, key); });
    n->items.erase(pos);
    --size_;
    // Fix the separators above; drop nodes that became empty. Underfull nodes are left as they
    // are: depth never grows by erasing, and the next build rebalances.
    bool empty = n->items.empty();
    const K* new_first = empty ? nullptr : &n->items.front().first;
    for (int d = depth - 1; d >= 0; --d) {
      auto [p, i] = path[d];
      if (empty) {
        p->children.erase(p->children.begin() + static_cast<std::ptrdiff_t>(i));
        p->first.erase(p->first.begin() + static_cast<std::ptrdiff_t>(i));
        empty = p->children.empty();
        new_first = empty || i != 0 ? nullptr : &p->first.front();
        if (!empty && i != 0) break;
      } else {
        if (new_first != nullptr) p->first[i] = *new_first;
        if (i != 0) break;
        new_first = &p->first.front();
      }
    }
    if (size_ == 0) root_.reset();
    while (root_ && !root_->leaf && root_->children.size() == 1) root_ = root_->children.front();
    return true;
  }

 private:
  /// Index of the child whose range holds `k` (the first child for keys below all).
  template <class Key>
  static std::size_t child_index(const node& n, const Key& k) {
    const auto it = std::upper_bound(n.first.begin(), n.first.end(), k,
                                     [](const Key& key, const K& f) { return Less{}(key, f); });
    return it == n.first.begin() ? 0 : static_cast<std::size_t>(it - n.first.begin()) - 1;
  }

  /// A node this map may edit: `p` itself if nothing else references it, else a copy put in its
  /// place.
  static node* own(node_ptr& p) {
    if (p.use_count() != 1) p = std::make_shared<node>(*p);
    // Sound: the node is referenced only through `p`, which this map owns (see file comment).
    return const_cast<node*>(p.get());
  }

  /// Splits `n` (the end of `path`) and its ancestors where they overflow.
  void split_up(std::array<node*, max_depth>& path, int depth, node* n) {
    while (n->count() > max_items) {
      auto right = std::make_shared<node>();
      right->leaf = n->leaf;
      const std::size_t half = n->count() / 2;
      K right_first;
      if (n->leaf) {
        right->items.assign(std::make_move_iterator(n->items.begin() + static_cast<std::ptrdiff_t>(half)),
                            std::make_move_iterator(n->items.end()));
        n->items.resize(half);
        right_first = right->items.front().first;
      } else {
        const auto h = static_cast<std::ptrdiff_t>(half);
        right->first.assign(std::make_move_iterator(n->first.begin() + h),
                            std::make_move_iterator(n->first.end()));
        right->children.assign(std::make_move_iterator(n->children.begin() + h),
                               std::make_move_iterator(n->children.end()));
        n->first.resize(half);
        n->children.resize(half);
        right_first = right->first.front();
      }
      if (depth == 0) {
        auto top = std::make_shared<node>();
        top->leaf = false;
        top->first = {n->leaf ? n->items.front().first : n->first.front(), std::move(right_first)};
        top->children = {std::move(root_), std::move(right)};
        root_ = std::move(top);
        return;
      }
      node* parent = path[--depth];
      std::size_t i = 0;
      while (parent->children[i].get() != n) ++i;
      parent->first.insert(parent->first.begin() + static_cast<std::ptrdiff_t>(i + 1),
                           std::move(right_first));
      parent->children.insert(parent->children.begin() + static_cast<std::ptrdiff_t>(i + 1),
                              std::move(right));
      n = parent;
    }
  }

  node_ptr root_;
  std::size_t size_ = 0;
};

}  // namespace iotreg::dns::detail
