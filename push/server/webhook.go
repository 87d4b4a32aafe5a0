package server

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/countersign/countersign/push/store"
)

// WebhookSignatureHeader carries "sha256=" and the hex HMAC-SHA256 of the
// body, keyed with the relying party's webhook secret.
const WebhookSignatureHeader = "X-Countersign-Signature"

// webhookClient posts webhooks; it does not follow redirects.
var webhookClient = &http.Client{
	Timeout:       10 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// notifyWebhook tells the request's relying party, if it has a webhook,
// that the request is decided or expired. It posts in the background.
func (s *Server) notifyWebhook(req store.AuthRequest) {
	rp, ok := s.rps.byName(req.RP)
	if !ok {
		var err error
		if rp, err = s.store.RelyingParty(req.RP); err != nil {
			return
		}
	}
	if rp.WebhookURL == "" {
		return
	}
	body, err := json.Marshal(stateOf(req))
	if err != nil {
		return
	}
	secret, err := s.keys.openSeed(webhookAD(rp.Name), rp.SealedWebhookSecret)
	if err != nil {
		s.log.Error("opening a webhook secret", "rp", rp.Name, "err", err)
		return
	}
	mac := hmac.New(sha256.New, secret)
	clear(secret)
	mac.Write(body)
	signature := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), webhookClient.Timeout)
		defer cancel()
		hr, err := http.NewRequestWithContext(ctx, http.MethodPost, rp.WebhookURL, bytes.NewReader(body))
		if err != nil {
			return
		}
		hr.Header.Set("Content-Type", "application/json")
		hr.Header.Set(WebhookSignatureHeader, signature)
		resp, err := webhookClient.Do(hr)
		if err != nil {
			var uerr *url.Error
			if errors.As(err, &uerr) {
				err = uerr.Err // its message repeats the URL, which may hold a token
			}
			s.log.Warn("webhook failed", "rp", rp.Name, "host", hr.URL.Host, "err", err)
			return
		}
		resp.Body.Close()
		if resp.StatusCode >= 300 {
			s.log.Warn("webhook refused", "rp", rp.Name, "status", resp.StatusCode)
		}
	}()
}
