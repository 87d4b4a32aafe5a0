package server

import (
	"crypto/ed25519"

	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/store"
)

// notify tells every device of user of a change to their account, now if
// connected, else when it next connects, and signs it so that no one else
// can make a device show one; the device the change is about (about) is
// not told of itself. The audit log records the change itself.
//
// Devices in skip (the one that just made the change, say) are not told
// either: they know.
func (s *Server) notify(user, about, kind, text string, skip ...string) {
	n := store.Notice{User: user, Time: s.cfg.Now(), Kind: kind, Text: text}
	id, err := s.store.AddNotice(n)
	if err != nil {
		s.log.Error("storing a notice", "user", user, "kind", kind, "err", err)
		return
	}
	n.ID = id
	for _, deviceID := range append(skip, about) {
		if err := s.store.MarkNoticesSeen(deviceID, id); err != nil {
			s.log.Error("recording a notice as given", "device", deviceID, "err", err)
		}
	}
	f := s.noticeFrame(n)
	for _, deviceID := range s.hub.sendToUser(user, f, append(skip, about)...) {
		if err := s.store.MarkNoticesSeen(deviceID, id); err != nil {
			s.log.Error("recording a notice as given", "device", deviceID, "err", err)
		}
	}
	s.publish(evNotice, user, noticeRef(id))
}

// noticeFrame signs a notice for the devices.
func (s *Server) noticeFrame(n store.Notice) push.Frame {
	pn := push.Notice{ID: n.ID, User: n.User, Kind: n.Kind, Text: n.Text, Time: n.Time}
	return push.Frame{Type: push.FrameNotice, Notice: &pn, Signature: ed25519.Sign(s.keys.sign, pn.SigningBytes())}
}

// unseenNoticeFrames returns the signed notices a device has not been
// given, and records them as given.
func (s *Server) unseenNoticeFrames(deviceID string) []push.Frame {
	notices, err := s.store.UnseenNotices(deviceID)
	if err != nil {
		s.log.Error("listing notices", "device", deviceID, "err", err)
		return nil
	}
	frames := make([]push.Frame, 0, len(notices))
	for _, n := range notices {
		frames = append(frames, s.noticeFrame(n))
	}
	if len(notices) > 0 {
		if err := s.store.MarkNoticesSeen(deviceID, notices[len(notices)-1].ID); err != nil {
			s.log.Error("recording notices as given", "device", deviceID, "err", err)
		}
	}
	return frames
}
