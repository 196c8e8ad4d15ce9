package serial

import (
	"context"
	"errors"
	"fmt"
	"io"

	"copystation/drive"
)

// Serve runs the device side of the link on rw: it decodes Command frames,
// runs each command block on dev, and answers. It returns when ctx is done
// (ctx.Err()) or when rw fails (the read or write error). Serve does not
// close rw; closing it is how a caller releases Serve's reader at once.
func Serve(ctx context.Context, rw io.ReadWriter, dev drive.Transport, opts Options) error {
	opts = opts.withDefaults()
	s := &server{opts: opts, dev: dev, out: make(chan []byte, 4), done: make(chan result, 1)}
	frames := make(chan Frame, 16)
	stop := make(chan struct{})
	defer close(stop)
	errc := make(chan error, 2)
	go func() {
		d := NewLineDecoder(rw, opts.MaxPayload, opts.InterByteTimeout, stop)
		for {
			f, err := d.Next()
			var ce *CorruptError
			switch {
			case errors.Is(err, ErrPartialFrame):
				// A host that died mid-frame: its successor's frames
				// come after the silence, on a clear line.
				opts.Logf("serial: device: %v", err)
				continue
			case errors.As(err, &ce):
				opts.Logf("serial: device: %v", err)
				f = Frame{Type: 0, Seq: ce.Seq}
			case err != nil:
				errc <- fmt.Errorf("serial.Serve: read: %w", err)
				return
			}
			select {
			case frames <- f:
			case <-stop:
				return
			}
		}
	}()
	go writeLoop(rw, s.out, stop, func(err error) { errc <- fmt.Errorf("serial.Serve: %w", err) })
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-errc:
			return err
		case f := <-frames:
			s.handle(f, stop)
		case r := <-s.done:
			s.running = false
			s.cached = r.frame
			s.send(r.frame, stop)
		}
	}
}

type result struct {
	seq   uint32
	frame []byte
}

type server struct {
	opts    Options
	dev     drive.Transport
	out     chan []byte
	done    chan result
	seq     uint32 // the command running or last completed
	valid   bool   // seq names a command received
	running bool
	cached  []byte // the answer to seq once complete
}

func (s *server) send(b []byte, stop <-chan struct{}) {
	select {
	case s.out <- b:
	case <-stop:
	}
}

func (s *server) reply(t FrameType, seq uint32, payload []byte, stop <-chan struct{}) {
	s.send(AppendFrame(nil, Frame{Type: t, Seq: seq, Payload: payload}), stop)
}

func (s *server) handle(f Frame, stop <-chan struct{}) {
	same := s.valid && f.Seq == s.seq
	switch f.Type {
	case 0: // corrupt: ask for it again
		s.reply(TypeNak, f.Seq, nil, stop)
	case TypePoll:
		switch {
		case same && s.running:
			s.reply(TypeAck, f.Seq, nil, stop)
		case same:
			s.send(s.cached, stop)
		default:
			s.reply(TypeNak, f.Seq, nil, stop)
		}
	case TypeSync:
		if s.running {
			// A dead host's command still runs: "wait", until it is done.
			s.reply(TypeAck, f.Seq, nil, stop)
			return
		}
		s.valid, s.cached = false, nil
		s.reply(TypeSyncAck, f.Seq, nil, stop)
	case TypeCommand:
		switch {
		case same && s.running:
			s.reply(TypeAck, f.Seq, nil, stop)
		case same:
			s.send(s.cached, stop) // duplicate: answer again, never run twice
		case s.running:
			s.reply(TypeFailure, f.Seq, append([]byte{failBusy}, fmt.Sprintf("command seq %d still running", s.seq)...), stop)
		default:
			s.start(f, stop)
		}
	}
}

func (s *server) start(f Frame, stop <-chan struct{}) {
	c, err := parseCommand(f.Payload, s.opts.MaxPayload)
	if err != nil {
		s.reply(TypeFailure, f.Seq, append([]byte{failMalformed}, err.Error()...), stop)
		return
	}
	s.seq, s.valid, s.running, s.cached = f.Seq, true, true, nil
	s.reply(TypeAck, f.Seq, nil, stop)
	go func() {
		s.done <- result{seq: f.Seq, frame: run(s.dev, f.Seq, c)}
	}()
}

// run executes one command and encodes its answer frame.
func run(dev drive.Transport, seq uint32, c command) []byte {
	var buf []byte
	switch c.dir {
	case drive.DirIn:
		buf = make([]byte, c.inLen)
	case drive.DirOut:
		buf = c.out
	}
	res, err := dev.Do(c.cdb, c.dir, buf, c.timeout)
	if err != nil {
		code := byte(failOther)
		if errors.Is(err, drive.ErrTimeout) {
			code = failTimeout
		}
		msg := err.Error()
		if len(msg) > maxMessage {
			msg = msg[:maxMessage]
		}
		return AppendFrame(nil, Frame{Type: TypeFailure, Seq: seq, Payload: append([]byte{code}, msg...)})
	}
	r := response{status: res.Status, transferred: uint32(max(res.Transferred, 0))}
	if len(res.Sense) > maxSense {
		res.Sense = res.Sense[:maxSense]
	}
	r.sense = res.Sense
	if c.dir == drive.DirIn {
		r.in = buf[:min(max(res.Transferred, 0), len(buf))]
	}
	return AppendFrame(nil, Frame{Type: TypeResponse, Seq: seq, Payload: r.append(nil)})
}
