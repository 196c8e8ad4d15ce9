package h264

import (
	"errors"
	"fmt"
)

// ErrSPS reports a sequence parameter set this reader cannot read.
var ErrSPS = errors.New("h264: malformed sequence parameter set")

// SPS is what authoring needs from a sequence parameter set (H.264
// 7.3.2.1.1 and annex E): the displayed picture size and, when the VUI
// carries timing information, the frame rate.
type SPS struct {
	Width, Height int
	// FrameRate is time_scale / (2 · num_units_in_tick) (a frame is two
	// fields' ticks); 0 without timing information.
	FrameRate float64
}

// bits reads an RBSP most significant bit first.
type bits struct {
	b   []byte
	pos int
	err error
}

func (r *bits) u(n int) uint64 {
	var v uint64
	for range n {
		if r.pos >= 8*len(r.b) {
			r.err = fmt.Errorf("%w: ends early", ErrSPS)
			return 0
		}
		v = v<<1 | uint64(r.b[r.pos/8]>>(7-r.pos%8)&1)
		r.pos++
	}
	return v
}

// ue reads an Exp-Golomb code (9.1); more than 31 leading zeros is an
// error.
func (r *bits) ue() uint64 {
	zeros := 0
	for r.u(1) == 0 && r.err == nil {
		if zeros++; zeros > 31 {
			r.err = fmt.Errorf("%w: Exp-Golomb code too long", ErrSPS)
			return 0
		}
	}
	return 1<<zeros - 1 + r.u(zeros)
}

func (r *bits) se() int64 {
	v := r.ue()
	if v&1 == 1 {
		return int64(v+1) / 2
	}
	return -int64(v / 2)
}

// rbsp removes emulation prevention bytes (00 00 03 → 00 00).
func rbsp(nal []byte) []byte {
	out := make([]byte, 0, len(nal))
	zeros := 0
	for _, c := range nal {
		if zeros >= 2 && c == 3 {
			zeros = 0
			continue
		}
		if c == 0 {
			zeros++
		} else {
			zeros = 0
		}
		out = append(out, c)
	}
	return out
}

// ParseSPS reads a sequence parameter set NAL unit (with its header).
func ParseSPS(nal []byte) (*SPS, error) {
	if Type(nal) != TypeSPS {
		return nil, fmt.Errorf("%w: NAL unit type %d", ErrSPS, Type(nal))
	}
	r := &bits{b: rbsp(nal[1:])}
	profile := r.u(8)
	r.u(16) // constraint flags, level
	r.ue()  // seq_parameter_set_id
	chroma := uint64(1)
	switch profile {
	case 100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135:
		if chroma = r.ue(); chroma == 3 {
			r.u(1)
		}
		r.ue()
		r.ue()
		r.u(1)
		if r.u(1) == 1 { // scaling matrices
			n := 8
			if chroma == 3 {
				n = 12
			}
			for i := range n {
				if r.u(1) == 1 {
					scalingList(r, map[bool]int{true: 16, false: 64}[i < 6])
				}
			}
		}
	}
	r.ue() // log2_max_frame_num_minus4
	switch r.ue() {
	case 0:
		r.ue()
	case 1:
		r.u(1)
		r.se()
		r.se()
		n := r.ue()
		if n > 255 {
			return nil, fmt.Errorf("%w: %d reference frames in a POC cycle", ErrSPS, n)
		}
		for range n {
			r.se()
		}
	}
	r.ue()
	r.u(1)
	wmbs, hmaps := r.ue()+1, r.ue()+1
	frameMBs := r.u(1)
	if frameMBs == 0 {
		r.u(1)
	}
	r.u(1)
	var cl, cr, ct, cb uint64
	if r.u(1) == 1 {
		cl, cr, ct, cb = r.ue(), r.ue(), r.ue(), r.ue()
	}
	s := &SPS{}
	if r.err != nil {
		return nil, r.err
	}
	cropX, cropY := uint64(2), 2*(2-frameMBs) // 4:2:0
	if chroma != 1 {
		cropX, cropY = 1, 2-frameMBs
	}
	w, h := wmbs*16, (2-frameMBs)*hmaps*16
	if wmbs > 1024 || hmaps > 1024 || cropX*(cl+cr) >= w || cropY*(ct+cb) >= h {
		return nil, fmt.Errorf("%w: picture of %dx%d macroblocks cropped by %d,%d,%d,%d", ErrSPS, wmbs, hmaps, cl, cr, ct, cb)
	}
	s.Width, s.Height = int(w-cropX*(cl+cr)), int(h-cropY*(ct+cb))
	if r.u(1) == 1 { // VUI (E.1.1)
		if r.u(1) == 1 && r.u(8) == 255 {
			r.u(32)
		}
		if r.u(1) == 1 {
			r.u(1)
		}
		if r.u(1) == 1 {
			r.u(4)
			if r.u(1) == 1 {
				r.u(24)
			}
		}
		if r.u(1) == 1 {
			r.ue()
			r.ue()
		}
		if r.u(1) == 1 {
			tick, scale := r.u(32), r.u(32)
			if r.err == nil && tick > 0 {
				s.FrameRate = float64(scale) / float64(2*tick)
			}
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	return s, nil
}

// scalingList skips a scaling list (7.3.2.1.1.1).
func scalingList(r *bits, size int) {
	last, next := int64(8), int64(8)
	for range size {
		if next != 0 {
			next = (last + r.se() + 256) % 256
		}
		if next != 0 {
			last = next
		}
		if r.err != nil {
			return
		}
	}
}
