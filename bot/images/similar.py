"""The same picture among many (#37's audit): images grouped by what they show
(bot.images.identity), found through a BK-tree on their 64-bit gradient hashes, so that only
images whose hashes are near are compared (not every pair). Near-flat images (a plain colour, a
blank placeholder) are left out: they all look alike without being one picture."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from bot.images.identity import GRADIENT_BITS, Identity

K = TypeVar("K", bound=Hashable)
FLAT_LEVELS = 2  # grey levels a picture's detail grid has at most to count as near-flat


def near_flat(identity: Identity) -> bool:
    return identity.legacy or len(set(identity.detail)) <= FLAT_LEVELS


@dataclass
class _Node:
    gradient: int
    members: list[int] = field(default_factory=list)  # indexes into the items
    children: dict[int, _Node] = field(default_factory=dict)  # by Hamming distance


@dataclass
class _Tree(Generic[K]):
    root: _Node | None = None

    def add(self, gradient: int, index: int) -> None:
        if self.root is None:
            self.root = _Node(gradient, [index])
            return
        node = self.root
        while True:
            distance = (node.gradient ^ gradient).bit_count()
            if distance == 0:
                node.members.append(index)
                return
            child = node.children.get(distance)
            if child is None:
                node.children[distance] = _Node(gradient, [index])
                return
            node = child

    def near(self, gradient: int) -> list[int]:
        """The items whose gradient is at most GRADIENT_BITS from `gradient`."""
        found: list[int] = []
        stack = [self.root] if self.root is not None else []
        while stack:
            node = stack.pop()
            distance = (node.gradient ^ gradient).bit_count()
            if distance <= GRADIENT_BITS:
                found += node.members
            low, high = distance - GRADIENT_BITS, distance + GRADIENT_BITS
            stack += [child for d, child in node.children.items() if low <= d <= high]
        return found


def same_pictures(items: Sequence[tuple[K, Identity]]) -> list[list[K]]:
    """Groups of two or more keys whose pictures look alike (`Identity.looks_like`: at any
    size), each in the order given; near-flat pictures are in none."""
    tree: _Tree[K] = _Tree()
    parent = list(range(len(items)))

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    for index, (_, identity) in enumerate(items):
        if near_flat(identity):
            continue
        for other in tree.near(identity.gradient):
            if identity.looks_like(items[other][1]):
                parent[root(index)] = root(other)
        tree.add(identity.gradient, index)
    groups: dict[int, list[K]] = {}
    for index, (key, identity) in enumerate(items):
        if not near_flat(identity):
            groups.setdefault(root(index), []).append(key)
    return [group for group in groups.values() if len(group) > 1]
