package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// chunk is how many users one pair of batch requests creates (and then sends events to).
const chunk = 1000

// baseTimestamp is the createdTimestamp of user 0; each later user is created a minute after.
const baseTimestamp = 1_700_000_000_000

// The values the users are drawn from, each with a weight (out of the sum of the weights), so
// every filter has a common value, a middling one and a rare one to measure.
var (
	states    = weighted{{"ACTIVE", 70}, {"CREATED", 10}, {"SUSPENDED", 8}, {"BLOCKED", 5}, {"DORMANT", 4}, {"TERMINATED", 2}, {"UNACCEPTABLE", 1}}
	kycs      = weighted{{"SUCCESSFUL", 75}, {"IN_PROGRESS", 10}, {"NEW", 6}, {"FAILED", 5}, {"MANUAL_REVIEW", 4}}
	risks     = weighted{{"LOW", 45}, {"MEDIUM", 30}, {"VERY_LOW", 15}, {"HIGH", 8}, {"VERY_HIGH", 2}}
	segments  = weighted{{"retail", 60}, {"premium", 25}, {"sme", 10}, {"private", 5}}
	countries = weighted{{"DE", 60}, {"FR", 20}, {"NL", 14}, {"GB", 5}, {"IR", 1}}
)

var firstNames = strings.Fields(`james mary robert patricia john jennifer michael linda david elizabeth william barbara richard
	susan joseph jessica thomas sarah charles karen christopher lisa daniel nancy matthew betty anthony sandra mark margaret
	donald ashley steven kimberly andrew emily paul donna joshua michelle kenneth carol kevin amanda brian melissa george
	deborah timothy stephanie ronald rebecca jason sharon edward laura jeffrey cynthia ryan dorothy jacob amy gary kathleen
	nicholas angela eric shirley jonathan emma stephen brenda larry pamela justin nicole scott anna brandon samantha benjamin
	katherine samuel christine gregory debra alexander rachel patrick carolyn frank janet raymond maria jack olivia dennis
	heather jerry helen tyler catherine aaron diane jose julie adam victoria nathan joyce henry lauren zachary kelly douglas
	christina peter ruth kyle joan noah virginia ethan judith jeremy evelyn walter hannah christian andrea keith megan roger
	cheryl terry jacqueline austin martha sean madison gerald teresa carl kathryn harold sara dylan janice arthur jean lawrence
	alice jordan abigail jesse sophia bryan frances billy judy bruce theresa gabriel rose joe beverly logan denise albert
	marilyn willie amber alan danielle eugene brittany russell diana vincent natalie`)

var lastNames = strings.Fields(`smith johnson williams brown jones garcia miller davis rodriguez martinez hernandez lopez
	gonzalez wilson anderson thomas taylor moore jackson martin lee perez thompson white harris sanchez clark ramirez lewis
	robinson walker young allen king wright scott torres nguyen hill flores green adams nelson baker hall rivera campbell
	mitchell carter roberts gomez phillips evans turner diaz parker cruz edwards collins reyes stewart morris morales murphy
	cook rogers gutierrez ortiz morgan cooper peterson bailey reed kelly howard ramos kim cox ward richardson watson brooks
	chavez wood james bennett gray mendoza ruiz hughes price alvarez castillo sanders patel myers long ross foster jimenez
	powell jenkins perry russell sullivan bell coleman butler henderson barnes gonzales fisher vasquez simmons romero jordan
	patterson alexander hamilton graham reynolds griffin wallace moreno west cole hayes bryant herrera gibson ellis tran
	medina aguilar stevens murray ford castro marshall owens harrison fernandez mcdonald woods washington kennedy wells
	vargas henry chen freeman webb tucker guzman burns crawford olson simpson porter hunter gordon mendez silva shaw snyder
	mason dixon munoz hunt hicks holmes palmer wagner black robertson boyd rose stone salazar fox warren mills meyer rice
	schmidt garza daniels ferguson nichols stephens soto weaver ryan gardner payne grant dunn kelley spencer hawkins arnold
	pierce vazquez hansen peters santos hart bradley knight elliott cunningham duncan armstrong hudson carroll lane riley
	andrews alvarado ray delgado berry perkins hoffman johnston matthews pena richards contreras willis carpenter lawrence
	sandoval guerrero george chapman rios estrada ortega watkins greene nunez wheeler valdez harper burke larson santiago
	maldonado morrison franklin carlson austin dominguez carr lawson jacobs obrien lynch singh vega bishop montgomery oliver
	jensen harvey williamson gilbert dean sims espinoza howell li wong reid hanson le mccoy garrett burton fuller wang weber
	welch rojas lucas marquez fields park yang little banks padilla day walsh bowman schultz luna fowler mejia davidson acosta
	brewer may holland juarez newman pearson curtis cortez douglas schneider joseph barrett navarro figueroa keller avila wade
	molina stanley hopkins campos barnett bates chambers caldwell beck lambert miranda byrd craig ayala lowe frazier powers
	neal leonard gregory carrillo sutton fleming rhodes shelton schwartz norris jennings watts duran walters cohen mcdaniel
	moran parks steele vaughn becker holt deleon barker terry hale leon hail benson haynes horton miles lyons pham graves
	bush thornton wolfe warner cabrera mckinney mann zimmerman dawson lara fletcher page mccarthy love robles cervantes
	solis erickson reeves chang klein salinas fuentes baldwin daniel simon velasquez hardy higgins aguirre lin cummings
	chandler sharp barber bowen ochoa dennis robbins liu ramsey francis griffith paul blair oconnor cardenas pacheco cross
	calderon quinn moss swanson chan rivas khan rodgers serrano fitzgerald rosales stevenson christensen manning gill curry
	mclaughlin harmon mcgee gross doyle garner newton burgess reese walton blake trujillo adkins brady goodman roman webster
	goodwin fischer huang potts`)

var companyWords = strings.Fields(`acme globex initech umbrella hooli stark wayne wonka tyrell cyberdyne soylent vandelay
	massive oscorp gringotts monarch nakatomi virtucon duff pied`)

// weighted is a list of values with weights.
type weighted []struct {
	value  string
	weight int
}

func (w weighted) pick(r *rand.Rand) string {
	total := 0
	for _, v := range w {
		total += v.weight
	}
	n := r.IntN(total)
	for _, v := range w {
		if n < v.weight {
			return v.value
		}
		n -= v.weight
	}
	return w[len(w)-1].value
}

// userID is the id of user i; business users are every fifth.
func userID(i int) string { return fmt.Sprintf("u%07d", i) }

func isBusiness(i int) bool { return i%5 == 4 }

// userRand is user i's own random source: the same user is drawn on every run.
func userRand(i int) *rand.Rand { return rand.New(rand.NewPCG(uint64(i), 0x5eed)) }

// userJSON is user i's create body. Every user has a name, an email, a state, a KYC status, a
// CRA level and a segment tag; one in a hundred has the vip tag; the KYC status and country
// make some hit the default rules (R-U4 KYC failed, R-U10 active without KYC, R-U5 country).
func userJSON(i int) []byte {
	r := userRand(i)
	state, kyc, cra := states.pick(r), kycs.pick(r), risks.pick(r)
	tags := fmt.Sprintf(`[{"key":"segment","value":"%s"}`, segments.pick(r))
	if r.IntN(100) == 0 {
		tags += `,{"key":"vip","value":"yes"}`
	}
	tags += "]"
	country := countries.pick(r)
	created := baseTimestamp + int64(i)*60_000
	if isBusiness(i) {
		name := companyWords[r.IntN(len(companyWords))] + " " + lastNames[r.IntN(len(lastNames))] + " " + strconv.Itoa(i)
		return fmt.Appendf(nil, `{"userId":"%s","createdTimestamp":%d,"legalEntity":{"companyGeneralDetails":{"legalName":"%s"},`+
			`"companyRegistrationDetails":{"registrationIdentifier":"HRB%d","registrationCountry":"%s"},"contactDetails":{"emailIds":["ops%d@%s.example.com"]}},`+
			`"userStateDetails":{"state":"%s"},"kycStatusDetails":{"status":"%s"},"riskLevel":"%s","tags":%s}`,
			userID(i), created, name, i, country, i, companyWords[r.IntN(len(companyWords))], state, kyc, cra, tags)
	}
	first, last := firstNames[r.IntN(len(firstNames))], lastNames[r.IntN(len(lastNames))]
	return fmt.Appendf(nil, `{"userId":"%s","createdTimestamp":%d,"userDetails":{"name":{"firstName":"%s","lastName":"%s"},`+
		`"dateOfBirth":"%d-0%d-1%d","countryOfResidence":"%s"},"contactDetails":{"emailIds":["%s.%s.%d@example.com"]},`+
		`"userStateDetails":{"state":"%s"},"kycStatusDetails":{"status":"%s"},"riskLevel":"%s","tags":%s}`,
		userID(i), created, capital(first), capital(last), 1950+r.IntN(50), 1+r.IntN(9), r.IntN(10), country, first, last, i,
		state, kyc, cra, tags)
}

// eventJSON is user i's event n (from 0): an hour apart after its creation. The first moves
// the segment tag, the second may change the KYC status (one in ten), the third the state.
func eventJSON(i, n int) []byte {
	r := rand.New(rand.NewPCG(uint64(i), uint64(n+1)))
	ts := baseTimestamp + int64(i)*60_000 + int64(n+1)*3_600_000
	attr := "updatedConsumerUserAttributes"
	if isBusiness(i) {
		attr = "updatedBusinessUserAttributes"
	}
	var patch string
	switch n % 3 {
	case 0:
		patch = fmt.Sprintf(`{"tags":[{"key":"segment","value":"%s"},{"key":"login","value":"%d"}]}`, segments.pick(r), ts)
	case 1:
		if r.IntN(10) == 0 {
			patch = fmt.Sprintf(`{"kycStatusDetails":{"status":"%s"}}`, kycs.pick(r))
		} else {
			patch = fmt.Sprintf(`{"tags":[{"key":"segment","value":"%s"},{"key":"login","value":"%d"}]}`, segments.pick(r), ts)
		}
	default:
		patch = fmt.Sprintf(`{"userStateDetails":{"state":"%s"}}`, states.pick(r))
	}
	return fmt.Appendf(nil, `{"eventId":"e-%s-%d","userId":"%s","timestamp":%d,"reason":"bench",%q:%s}`, userID(i), n, userID(i), ts, attr, patch)
}

func capital(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

// client talks to one Vigil with one API key.
type client struct {
	base, key string
	http      *http.Client
}

// do sends a request and returns the status and body.
func (c *client) do(ctx context.Context, method, path string, body []byte) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("x-api-key", c.key)
	req.Header.Set("Content-Type", "application/json")
	res, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, b, err
}

// batch posts one batch and fails unless every record succeeded.
func (c *client) batch(ctx context.Context, path, id string, records [][]byte) error {
	if len(records) == 0 {
		return nil
	}
	body := fmt.Appendf(nil, `{"batchId":%q,"data":[`, id)
	body = append(body, bytes.Join(records, []byte(","))...)
	body = append(body, "]}"...)
	status, reply, err := c.do(ctx, http.MethodPost, path, body)
	// A busy server (503: every batch turn taken) applied nothing: the batch is sent again.
	for wait := time.Second; err == nil && status == http.StatusServiceUnavailable && wait < 5*time.Minute; wait *= 2 {
		time.Sleep(wait)
		status, reply, err = c.do(ctx, http.MethodPost, path, body)
	}
	if err != nil {
		return err
	}
	var answer struct {
		Failed        int `json:"failed"`
		FailedRecords []struct {
			ReasonCode string `json:"reasonCode"`
		} `json:"failedRecords"`
	}
	if err := json.Unmarshal(reply, &answer); err != nil || status/100 != 2 || len(answer.FailedRecords) != answer.Failed {
		return fmt.Errorf("batch %s: %d %.300s", id, status, reply)
	}
	for _, f := range answer.FailedRecords {
		// A load resumed after an interruption sends again what was stored before it.
		if f.ReasonCode != "ID_ALREADY_EXISTS" {
			return fmt.Errorf("batch %s: %d %.300s", id, status, reply)
		}
	}
	return nil
}

// loadChunk creates users [first, first+chunk) in two batches (consumers, businesses), then
// sends each its events in two batches, each user's in order.
func (c *client) loadChunk(ctx context.Context, first, end, events int) error {
	var consumers, businesses, cEvents, bEvents [][]byte
	for i := first; i < end; i++ {
		if isBusiness(i) {
			businesses = append(businesses, userJSON(i))
		} else {
			consumers = append(consumers, userJSON(i))
		}
		for n := range events {
			if isBusiness(i) {
				bEvents = append(bEvents, eventJSON(i, n))
			} else {
				cEvents = append(cEvents, eventJSON(i, n))
			}
		}
	}
	id := strconv.Itoa(first)
	for _, b := range []struct {
		path, id string
		records  [][]byte
	}{
		{"/batch/consumer/users", "cu-" + id, consumers}, {"/batch/business/users", "bu-" + id, businesses},
		{"/batch/events/consumer/user", "ce-" + id, cEvents}, {"/batch/events/business/user", "be-" + id, bEvents},
	} {
		if err := c.batch(ctx, b.path, b.id, b.records); err != nil {
			return err
		}
	}
	return nil
}

// loadChunkSingly writes users [first, end) and their events one request at a time from
// workers connections, each taking one user's create and events in order: on PostgreSQL, whose
// batches run one record after the other, concurrent writers share its commits.
func (c *client) loadChunkSingly(ctx context.Context, first, end, events, workers int) error {
	var next atomic.Int64
	next.Store(int64(first))
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= end || ctx.Err() != nil {
					return
				}
				kind := "consumer"
				if isBusiness(i) {
					kind = "business"
				}
				reqs := []struct {
					path string
					body []byte
				}{{"/" + kind + "/users", userJSON(i)}}
				for n := range events {
					reqs = append(reqs, struct {
						path string
						body []byte
					}{"/events/" + kind + "/user", eventJSON(i, n)})
				}
				for _, r := range reqs {
					status, reply, err := c.do(ctx, http.MethodPost, r.path, r.body)
					if err == nil && status/100 != 2 {
						err = fmt.Errorf("%s %s: %d %.300s", r.path, userID(i), status, reply)
					}
					if err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// load sends users [from, users) with their events, workers chunks at a time (each in batches,
// or with singly > 0 one request at a time from that many connections), writing the
// number of users fully loaded to progress as it grows, so an interrupted load resumes there
// (a batch sent again is answered from what it stored: every create and event is a replay).
func (c *client) load(ctx context.Context, from, users, events, workers, singly int, progress func(done int) error) error {
	var next atomic.Int64
	next.Store(int64(from))
	var mu sync.Mutex
	finished := map[int]bool{}
	watermark := from
	began, errs := time.Now(), make(chan error, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				first := int(next.Add(chunk)) - chunk
				if first >= users || ctx.Err() != nil {
					return
				}
				end := min(first+chunk, users)
				var err error
				if singly > 0 {
					err = c.loadChunkSingly(ctx, first, end, events, singly)
				} else {
					err = c.loadChunk(ctx, first, end, events)
				}
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				finished[first] = true
				moved := false
				for finished[watermark] {
					delete(finished, watermark)
					watermark = min(watermark+chunk, users)
					moved = true
				}
				w := watermark
				if moved {
					if err := progress(w); err != nil {
						mu.Unlock()
						errs <- err
						return
					}
				}
				mu.Unlock()
				if moved && (w/chunk)%20 == 0 {
					el := time.Since(began)
					fmt.Fprintf(os.Stderr, "%s loaded %d users (%.0f users/s, %.0f writes/s)\n", time.Now().Format("15:04:05"), w,
						float64(w-from)/el.Seconds(), float64((w-from)*(1+events))/el.Seconds())
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}
