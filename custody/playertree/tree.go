package playertree

import (
	"cmp"
	"errors"
	"fmt"
	"slices"

	"copystation/custody"
)

// Tree limits.
const (
	// DefaultDepth gives 2^20 = 1,048,576 players per tree.
	DefaultDepth = 20
	// MaxDepth bounds a tree so a path fits in 32 bits.
	MaxDepth = custody.MaxTreeDepth
	// MaxTreeID bounds a tree ID's length.
	MaxTreeID   = 64
	labelDomain = "copystation/player-tree/v1"
)

// Errors of the tree.
var (
	ErrTree = errors.New("playertree: invalid tree parameters")
	ErrLeaf = errors.New("playertree: leaf outside the tree")
)

// Tree names one player tree: its ID on the network and its depth.
type Tree struct {
	ID    string
	Depth uint8
}

// Node is one node of a tree: the root is (0, 0); the children of (d, p)
// are (d+1, 2p) and (d+1, 2p+1); the leaves are at depth Tree.Depth.
type Node struct {
	Depth uint8
	Path  uint32
}

// Check reports whether the tree's parameters are usable.
func (t Tree) Check() error {
	switch {
	case len(t.ID) == 0 || len(t.ID) > MaxTreeID:
		return fmt.Errorf("%w: tree ID is %d bytes, want 1 to %d", ErrTree, len(t.ID), MaxTreeID)
	case t.Depth == 0 || t.Depth > MaxDepth:
		return fmt.Errorf("%w: depth %d, want 1 to %d", ErrTree, t.Depth, MaxDepth)
	}
	return nil
}

// Leaves is the number of players the tree holds.
func (t Tree) Leaves() uint64 { return 1 << t.Depth }

// contains reports whether n is a node of the tree.
func (t Tree) contains(n Node) bool {
	return n.Depth <= t.Depth && uint64(n.Path) < 1<<n.Depth
}

// Ancestor is the node at depth d on leaf's path.
func (t Tree) Ancestor(leaf uint32, d uint8) Node {
	return Node{Depth: d, Path: uint32(uint64(leaf) >> (t.Depth - d))}
}

// PathOf lists the nodes from the root to leaf, Depth+1 of them.
func (t Tree) PathOf(leaf uint32) ([]Node, error) {
	if err := t.Check(); err != nil {
		return nil, err
	}
	if uint64(leaf) >= t.Leaves() {
		return nil, fmt.Errorf("%w: leaf %d, the tree has %d", ErrLeaf, leaf, t.Leaves())
	}
	nodes := make([]Node, t.Depth+1)
	for d := range nodes {
		nodes[d] = t.Ancestor(leaf, uint8(d))
	}
	return nodes, nil
}

// Label is the message the network signs to make n's key
// (custody.PlayerTreeLabel; docs/key-custody.md, "Labels").
func (t Tree) Label(n Node) ([]byte, error) {
	if !t.contains(n) {
		return nil, fmt.Errorf("%w: node %d/%d is not in a tree of depth %d", ErrLeaf, n.Depth, n.Path, t.Depth)
	}
	return custody.PlayerTreeLabel(t.ID, int(n.Depth), n.Path)
}

// Cover is the Complete Subtree cover of the unrevoked leaves: the roots
// of the maximal subtrees that hold no revoked leaf, sorted by depth, then
// path. With no leaf revoked it is the root alone; with every leaf revoked
// it is empty. Its size is at most r·log2(N/r) for r revoked of N leaves.
func (t Tree) Cover(revoked []uint32) ([]Node, error) {
	if err := t.Check(); err != nil {
		return nil, err
	}
	// steiner: every node on a revoked leaf's path.
	steiner := make(map[Node]struct{}, len(revoked)*int(t.Depth+1))
	for _, l := range revoked {
		if uint64(l) >= t.Leaves() {
			return nil, fmt.Errorf("%w: revoked leaf %d, the tree has %d", ErrLeaf, l, t.Leaves())
		}
		for d := uint8(0); d <= t.Depth; d++ {
			steiner[t.Ancestor(l, d)] = struct{}{}
		}
	}
	if len(steiner) == 0 {
		return []Node{{}}, nil
	}
	var cover []Node
	for n := range steiner {
		if n.Depth == t.Depth {
			continue
		}
		for _, c := range [2]Node{{n.Depth + 1, n.Path << 1}, {n.Depth + 1, n.Path<<1 | 1}} {
			if _, in := steiner[c]; !in {
				cover = append(cover, c)
			}
		}
	}
	slices.SortFunc(cover, func(a, b Node) int {
		return cmp.Or(cmp.Compare(a.Depth, b.Depth), cmp.Compare(a.Path, b.Path))
	})
	return cover, nil
}
