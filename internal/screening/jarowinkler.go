package screening

// jaroWinkler returns the Jaro-Winkler similarity of two byte strings (the matcher's tokens
// are ASCII after normalisation), in [0, 1], with the usual prefix scale 0.1 over up to four
// characters.
func jaroWinkler(a, b string) float64 {
	if a == b {
		return 1
	}
	la, lb := len(a), len(b)
	if la == 0 || lb == 0 {
		return 0
	}
	// Tokens are short: their match flags live on the stack, and only longer ones allocate.
	var aFlags, bFlags [64]bool
	am, bm := aFlags[:], bFlags[:]
	if la > len(am) || lb > len(bm) {
		am, bm = make([]bool, la), make([]bool, lb)
	}
	matches, transpositions := jaroCounts(a, b, am[:la], bm[:lb])
	if matches == 0 {
		return 0
	}
	return winkler(a, b, matches, transpositions)
}

// jaroCounts counts the characters of a and b that match within Jaro's window, and half the
// matched characters that are out of order, using am and bm (as long as a and b, all false)
// to mark the matched ones.
func jaroCounts(a, b string, am, bm []bool) (matches, transpositions int) {
	window := max(max(len(a), len(b))/2-1, 0)
	for i := 0; i < len(a); i++ {
		lo, hi := max(0, i-window), min(len(b), i+window+1)
		for j := lo; j < hi; j++ {
			if !bm[j] && a[i] == b[j] {
				am[i], bm[j] = true, true
				matches++
				break
			}
		}
	}
	trans, k := 0, 0
	for i := 0; i < len(a) && matches > 0; i++ {
		if !am[i] {
			continue
		}
		for !bm[k] {
			k++
		}
		if a[i] != b[k] {
			trans++
		}
		k++
	}
	return matches, trans / 2
}

func winkler(a, b string, matches, transpositions int) float64 {
	m := float64(matches)
	jaro := (m/float64(len(a)) + m/float64(len(b)) + (m-float64(transpositions))/m) / 3
	prefix := 0
	for prefix < 4 && prefix < len(a) && prefix < len(b) && a[prefix] == b[prefix] {
		prefix++
	}
	return jaro + float64(prefix)*0.1*(1-jaro)
}
