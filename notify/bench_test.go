package notify

import (
	"context"
	"testing"
)

// BenchmarkCloudEvent renders the JSON body of a host failure.
func BenchmarkCloudEvent(b *testing.B) {
	ev := sampleEvents()[7]
	b.ReportAllocs()
	for b.Loop() {
		if _, err := CloudEvent(ev, sampleLinks); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSlack renders the Slack body of an SLA breach (the longest).
func BenchmarkSlack(b *testing.B) {
	ev := sampleEvents()[12]
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Slack(ev, sampleLinks); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDeliverSigned is one signed delivery to a local receiver,
// secret file read included: the cost per event on the worker.
func BenchmarkDeliverSigned(b *testing.B) {
	rc := newReceiver(b, specKey(b, testSecret))
	s := newTestSender(Options{})
	hook := Webhook{URL: rc.url, SecretFile: secretFile(b, testSecret)}
	ev := sampleEvents()[7]
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Deliver(context.Background(), hook, ev); err != nil {
			b.Fatal(err)
		}
		<-rc.arrived
	}
}
